"""The table model (Table, Row, Cell) and how one effect becomes a cell.

A cell is "RAC/RCC" (%, one decimal), "Fail" (the intervention moved accuracy or comprehension the
wrong way) or "–" (no metrics, or a condition that changed no neuron). Its second line is the 95%
paired-bootstrap interval of the signed relative changes in the intended direction (the quantities
RAC and RCC are the size of), "[lo, hi]/[lo, hi]", each followed by † when that measure's effect is
beyond random neuron sets of the same size after the table's Benjamini–Hochberg step (neuronllm/analysis/evidence.py),
and "answer shift" when accuracy moved the intended way while balanced accuracy did not. Best (bold)
and second best (underlined) are judged per column on the displayed (RAC, RCC), only among non-Fail
cells that are not answer shifts and whose accuracy carries † (where the table has a null; else whose
accuracy interval excludes no effect): a difference the data cannot tell from random neurons earns no
mark. Averages carry no interval and no mark; they say how many of their cells are Fail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from neuronllm.analysis.evidence import LEVEL, benjamini_hochberg

MISSING = "–"
OUTSIDE_NULL = "†"
OUTSIDE_MATCHED = "‡"
ANSWER_SHIFT = "answer shift"


@dataclass
class Cell:
    text: str  # "53.3/64.0", "Fail" or "–"
    rank_key: tuple[float, float] | None = None  # displayed (RAC, RCC); None: not ranked
    mark: str = ""  # "best" | "second" | ""
    paper: str | None = None  # the paper's cell, printed beside ours when side_by_side
    detail: str = ""  # a second line: the interval, the null band
    significant: bool = True  # its interval excludes no effect (ranking needs it)
    measures: list[tuple[str, str]] = field(default_factory=list)  # (measure, interval text): the second line
    tests: dict[str, dict] = field(default_factory=dict)  # measure -> {"p", "passes", "answer_shift"}
    marked: set[str] = field(default_factory=set)  # measures marked † (after the BH step)
    suffix: str = ""  # printed after the marks (‡)
    value: dict | None = None  # the effect the cell shows (values.effect_of): the forest plot reads it


def compose_detail(cell: Cell) -> None:
    """The second line from the measures' intervals, their † marks and the answer-shift flag."""
    if not cell.measures:
        return
    parts = [f"{text}{OUTSIDE_NULL if measure in cell.marked else ''}" for measure, text in cell.measures]
    detail = "/".join(parts)
    if any(t.get("answer_shift") for t in cell.tests.values()):
        detail += f" {ANSWER_SHIFT}"
    cell.detail = f"{detail} {cell.suffix}".strip()


@dataclass
class Row:
    labels: list[str]
    cells: list[Cell]
    rank_group: str = ""  # rows of one group are compared for the best / second-best marks
    method: str = ""  # the method whose neurons the row changes ("" for Null rows)


@dataclass
class Table:
    title: str
    caption: str
    row_header: list[str]
    groups: list[tuple[str, list[str]]]  # column groups: (label, leaf labels); label "" = no group header
    rows: list[Row] = field(default_factory=list)
    side_by_side: bool = False  # cells read "ours | paper"
    rank: bool = True  # mark best (bold) and second best (underlined) per column
    notes: list[str] = field(default_factory=list)  # lines printed under the table
    rank_measure: str = "rac_signed"  # a cell tested on it needs its † to be ranked
    evidence: dict[str, dict[str, int]] = field(default_factory=dict)  # mark_evidence's counts


def one_decimal(value: float) -> float:
    """Round as the cell prints (so ties are judged on what the reader sees)."""
    return value if math.isinf(value) else float(f"{value:.1f}") + 0.0  # + 0.0 turns -0.0 into 0.0


def show(value: float) -> str:
    return "∞" if value == math.inf else f"{value:.1f}"


def _bound(value: float | None) -> str:
    return "?" if value is None else f"{round(value) + 0:.0f}"  # + 0: no "-0"


def interval_parts(value: dict) -> list[tuple[str, str]]:
    """[("rac_signed", "[lo, hi]"), ("rcc_signed", "[lo, hi]")] of the signed relative changes (intended
    direction positive), when known."""
    if value.get("rac_signed_low") is None and value.get("rcc_signed_low") is None:
        return []
    return [
        (name, f"[{_bound(value.get(f'{name}_low'))}, {_bound(value.get(f'{name}_high'))}]")
        for name in ("rac_signed", "rcc_signed")
    ]


def effect_cell(value: dict | None, paper: str | None = None) -> Cell:
    """One "RAC/RCC" cell from an effect (metrics.effect merged with the stored statistics, or an
    average_effect result); None: no metrics, printed "–". Its tests (value["tests"]) wait for the
    table's BH step (mark_evidence)."""
    if value is None:
        return Cell(MISSING, paper=paper)
    low = value.get("rac_signed_low")
    significant = low is not None and low > 0 if "rac_signed_low" in value else True
    fails = value.get("fails")
    suffix = f", {fails} Fail" if fails else ""
    extra = OUTSIDE_MATCHED if value.get("outside_matched") else ""
    if value["fail"]:
        cell = Cell("Fail" + suffix, paper=paper, significant=False)
    else:
        rac, rcc = one_decimal(value["rac"]), one_decimal(value["rcc"])
        cell = Cell(
            f"{show(rac)}/{show(rcc)}{suffix}",
            rank_key=(rac, rcc),
            paper=paper,
            significant=significant and "fails" not in value,
        )
    cell.measures, cell.tests, cell.suffix = interval_parts(value), dict(value.get("tests") or {}), extra
    cell.value = value
    compose_detail(cell)
    return cell


def mark_evidence(table: Table, measures: tuple[str, ...]) -> dict[str, dict[str, int]]:
    """The table's † marks: per measure, Benjamini–Hochberg at FDR evidence.LEVEL over the cells that
    carry a p-value (Null rows excluded); a rejected cell that is an answer shift stays unmarked.
    Returns per measure m (cells tested), rejected and marked, for the caption."""
    cells = [c for row in table.rows if row.rank_group != "null" for c in row.cells]
    counts = {}
    for measure in measures:
        tested = [c for c in cells if (c.tests.get(measure) or {}).get("p") is not None]
        rejected = benjamini_hochberg([c.tests[measure]["p"] for c in tested], LEVEL)
        marked = 0
        for cell, reject in zip(tested, rejected):
            if reject and not cell.tests[measure].get("answer_shift"):
                cell.marked.add(measure)
                marked += 1
        counts[measure] = {"m": len(tested), "rejected": sum(rejected), "marked": marked}
    for cell in cells:
        compose_detail(cell)
    table.evidence = counts
    return counts


def mark_best(table: Table) -> None:
    """Bold the best and underline the second best cell per column, by RAC then RCC, among ranked cells
    whose interval excludes no effect.

    Rows are compared within their rank_group (the ablation compares Deg rows with Deg rows); a group of one
    row gets no marks, nor does a column with fewer than two cells, and a 0.0/0.0 cell (no effect at all) is
    never marked. A cell tested against the null (table.rank_measure) is ranked only with its † (in a table
    with null tests, an untested cell is not ranked); an answer shift never.
    """
    if not table.rank:
        return
    tested_table = any(
        (c.tests.get(table.rank_measure) or {}).get("p") is not None for row in table.rows for c in row.cells
    )
    groups: dict[str, list[Row]] = {}
    for row in table.rows:
        groups.setdefault(row.rank_group, []).append(row)
    for rows in groups.values():
        if len(rows) < 2:
            continue
        for column in range(len(rows[0].cells)):
            cells = [row.cells[column] for row in rows]
            if sum(c.text != MISSING for c in cells) < 2:
                continue  # nothing to compare with
            eligible = [
                c
                for c in cells
                if c.rank_key is not None
                and c.rank_key != (0.0, 0.0)
                and c.significant
                and _evidenced(c, table.rank_measure, tested_table)
            ]
            keys = sorted({c.rank_key for c in eligible if c.rank_key is not None}, reverse=True)
            for cell in eligible:
                if keys and cell.rank_key == keys[0]:
                    cell.mark = "best"
                elif len(keys) > 1 and cell.rank_key == keys[1]:
                    cell.mark = "second"


def _evidenced(cell: Cell, measure: str, tested_table: bool) -> bool:
    """Not an answer shift, and marked † on the measure; in a table without any null test (no null sets),
    the interval alone decides. A cell without a test in a table that has them (its null sets were of
    another shape, neuronllm/analysis/pairing.py) cannot be ranked."""
    if any(t.get("answer_shift") for t in cell.tests.values()):
        return False
    return measure in cell.marked if tested_table else True
