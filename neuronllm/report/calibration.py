"""The measured calibration of a table's † marks, printed under the table (the test:
neuronllm/analysis/evidence.py).

Two checks on the run itself, for each marked measure:
  leave-one-null-out  every null draw of every (column, condition) tested as if it were a cell, against the
                      band of the other draws of the same condition (its own bootstrap p_0 included):
                      the share that passes the per-cell test at evidence.LEVEL;
  RANDOM              the share of the RANDOM method's cells (a random set per task, drawn like the nulls)
                      that pass the per-cell test, and how many the table marked.
Both should be at or below the level. With n null sets there are n draws per (column, condition).
"""

from __future__ import annotations

from typing import Any

from neuronllm.analysis.evidence import LEVEL, leave_one_out, rate_text
from neuronllm.report.cells import Table

MEASURE_LABELS = {"rac_signed": "accuracy", "rcc_signed": "comprehension", "gold_prob_signed": "P(gold)"}


def null_draws(ms: list[dict], per_budget: bool = False) -> dict[tuple[Any, str], list[dict]]:
    """{(column, condition): the null draws' records}; the same draws appear in every method's file of a
    column, so each (column, condition) is taken once."""
    groups: dict[tuple[Any, str], list[dict]] = {}
    for m in ms:
        column = m["budget"] if per_budget else m["task"]
        for condition, entry in m["conditions"].items():
            draws = (entry.get("null") or {}).get("draws")
            if draws and (column, condition) not in groups:
                groups[(column, condition)] = list(draws)
    return groups


def loo_rate(ms: list[dict], measure: str, per_budget: bool = False) -> tuple[int, int]:
    passing = tested = 0
    for draws in null_draws(ms, per_budget).values():
        p, t = leave_one_out(draws, measure)
        passing, tested = passing + p, tested + t
    return passing, tested


def method_rate(table: Table, method: str, measure: str) -> tuple[int, int, int]:
    """(passing the per-cell test, tested, marked) among one method's cells of the table."""
    cells = [c for row in table.rows if row.method == method for c in row.cells]
    tested = [c for c in cells if (c.tests.get(measure) or {}).get("p") is not None]
    return (
        sum(bool(c.tests[measure].get("passes")) for c in tested),
        len(tested),
        sum(measure in c.marked for c in tested),
    )


def calibration_note(table: Table, ms: list[dict], measures: tuple[str, ...], per_budget: bool = False) -> str:
    """The BH counts and the calibration of the per-cell test, one sentence per measure."""
    sentences = []
    for measure in measures:
        counts = table.evidence.get(measure)
        if not counts or not counts["m"]:
            continue
        loo = loo_rate(ms, measure, per_budget)
        passing, tested, marked = method_rate(table, "random", measure)
        random_text = f"; RANDOM's cells {rate_text(passing, tested)}, {marked} marked" if tested else ""
        sentences.append(
            f" {MEASURE_LABELS[measure].capitalize()}: BH over {counts['m']} cells rejected {counts['rejected']}, "
            f"{counts['marked']} marked (expected false marks at most {LEVEL * counts['rejected']:.2f}); calibration "
            f"of the per-cell test at {100 * LEVEL:g}%: leave-one-null-out {rate_text(*loo)} of null draws"
            f"{random_text}."
        )
    return "".join(sentences)
