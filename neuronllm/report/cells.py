"""The table model (Table, Row, Cell) and how one effect becomes a cell.

A cell is "RAC/RCC" (%, one decimal), "Fail" (the intervention moved accuracy or comprehension the
wrong way) or "–" (no metrics, or a condition that changed no neuron). Its second line is the 95%
paired-bootstrap interval of the signed relative changes in the intended direction (the quantities
RAC and RCC are the size of), "[lo, hi]/[lo, hi]", and a † when the accuracy effect lies beyond the
null band of random neuron sets of the same size. Best (bold) and second best (underlined) are judged
per column on the displayed (RAC, RCC), only among non-Fail cells whose accuracy interval excludes no
effect: a difference the data cannot tell from noise earns no mark. Averages carry no interval and no
mark; they say how many of their cells are Fail.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

MISSING = "–"
OUTSIDE_NULL = "†"
OUTSIDE_MATCHED = "‡"


@dataclass
class Cell:
    text: str                                   # "53.3/64.0", "Fail" or "–"
    rank_key: tuple[float, float] | None = None  # displayed (RAC, RCC); None: not ranked
    mark: str = ""                              # "best" | "second" | ""
    paper: str | None = None                    # the paper's cell, printed beside ours when side_by_side
    detail: str = ""                            # a second line: the interval, the null band
    significant: bool = True                    # its interval excludes no effect (ranking needs it)


@dataclass
class Row:
    labels: list[str]
    cells: list[Cell]
    rank_group: str = ""  # rows of one group are compared for the best / second-best marks


@dataclass
class Table:
    title: str
    caption: str
    row_header: list[str]
    groups: list[tuple[str, list[str]]]  # column groups: (label, leaf labels); label "" = no group header
    rows: list[Row] = field(default_factory=list)
    side_by_side: bool = False  # cells read "ours | paper"
    rank: bool = True           # mark best (bold) and second best (underlined) per column
    notes: list[str] = field(default_factory=list)  # lines printed under the table


def one_decimal(value: float) -> float:
    """Round as the cell prints (so ties are judged on what the reader sees)."""
    return value if math.isinf(value) else float(f"{value:.1f}") + 0.0  # + 0.0 turns -0.0 into 0.0


def show(value: float) -> str:
    return "∞" if value == math.inf else f"{value:.1f}"


def _bound(value: float | None) -> str:
    return "?" if value is None else f"{round(value) + 0:.0f}"  # + 0: no "-0"


def interval_text(value: dict) -> str:
    """"[lo, hi]/[lo, hi]" of the signed relative changes (intended direction positive), when known."""
    if value.get("rac_signed_low") is None and value.get("rcc_signed_low") is None:
        return ""
    rac = f"[{_bound(value.get('rac_signed_low'))}, {_bound(value.get('rac_signed_high'))}]"
    rcc = f"[{_bound(value.get('rcc_signed_low'))}, {_bound(value.get('rcc_signed_high'))}]"
    return f"{rac}/{rcc}"


def effect_cell(value: dict | None, paper: str | None = None) -> Cell:
    """One "RAC/RCC" cell from an effect (metrics.effect merged with the stored statistics, or an
    average_effect result); None: no metrics, printed "–"."""
    if value is None:
        return Cell(MISSING, paper=paper)
    detail = interval_text(value)
    if value.get("outside_null"):
        detail = f"{detail} {OUTSIDE_NULL}".strip()
    if value.get("outside_matched"):
        detail = f"{detail} {OUTSIDE_MATCHED}".strip()
    low = value.get("rac_signed_low")
    significant = low is not None and low > 0 if "rac_signed_low" in value else True
    fails = value.get("fails")
    suffix = f", {fails} Fail" if fails else ""
    if value["fail"]:
        return Cell("Fail" + suffix, paper=paper, detail=detail, significant=False)
    rac, rcc = one_decimal(value["rac"]), one_decimal(value["rcc"])
    return Cell(f"{show(rac)}/{show(rcc)}{suffix}", rank_key=(rac, rcc), paper=paper, detail=detail,
                significant=significant and "fails" not in value)


def mark_best(table: Table) -> None:
    """Bold the best and underline the second best cell per column, by RAC then RCC, among ranked cells
    whose interval excludes no effect.

    Rows are compared within their rank_group (the ablation compares Deg rows with Deg rows); a group of one row
    gets no marks, and a 0.0/0.0 cell (no effect at all) is never marked.
    """
    if not table.rank:
        return
    groups: dict[str, list[Row]] = {}
    for row in table.rows:
        groups.setdefault(row.rank_group, []).append(row)
    for rows in groups.values():
        if len(rows) < 2:
            continue
        for column in range(len(rows[0].cells)):
            cells = [row.cells[column] for row in rows]
            eligible = [c for c in cells if c.rank_key is not None and c.rank_key != (0.0, 0.0) and c.significant]
            keys = sorted({c.rank_key for c in eligible}, reverse=True)
            for cell in eligible:
                if keys and cell.rank_key == keys[0]:
                    cell.mark = "best"
                elif len(keys) > 1 and cell.rank_key == keys[1]:
                    cell.mark = "second"
