"""Table 1's companions: 1b, the continuous effect (change of the gold option's probability), and 1c,
the unmodified model's answer bias on each task (how far from chance, how much of it is one answer)."""

from __future__ import annotations

from typing import Any

from neuronllm.report.calibration import calibration_note
from neuronllm.report.cells import MISSING, OUTSIDE_NULL, Cell, Row, Table, compose_detail, mark_best, mark_evidence
from neuronllm.report.table_kinds import KINDS, column_headers, condition_of
from neuronllm.report.values import effect_of, model_label, null_band_of, number, ordered, tests_of

PROBABILITY_MEASURES = ("gold_prob_signed",)


def _signed_cell(value: dict | None, m: dict | None, condition: str) -> Cell:
    """ "+3.2 [1.0, 5.5]": the change of the mean gold-option probability, percentage points, intended
    direction positive, with its interval; † after the table's BH step (neuronllm/analysis/evidence.py)."""
    if value is None or m is None or value.get("gold_prob_signed") is None:
        return Cell(MISSING)
    text = number(value["gold_prob_signed"], 1, signed=True)
    low, high = value.get("gold_prob_signed_low"), value.get("gold_prob_signed_high")
    interval = f"[{number(low, 1)}, {number(high, 1)}]" if low is not None and high is not None else ""
    significant = low is not None and low > 0
    cell = Cell(text, rank_key=(value["gold_prob_signed"], 0.0) if significant else None, significant=significant)
    cell.measures = [("gold_prob_signed", interval)] if interval else []
    cell.tests = tests_of(m["conditions"][condition], PROBABILITY_MEASURES)
    compose_detail(cell)
    return cell


def probability_table(ms: list[dict], budget: Any) -> Table | None:
    """Table 1b: the continuous effect, Δ mean P(gold option), for every method x task x {Deg, Enh}."""
    if not any(c.get("gold_prob_signed") is not None for m in ms for c in m["conditions"].values()):
        return None
    spec = KINDS["table1"]
    tasks = ordered((m["task"] for m in ms), column_headers())
    index = {(m["task"], m["method"]): m for m in ms}
    table = Table(
        title=f"Table 1b: change of the gold option's probability (percentage points) of {model_label(ms)}, "
        f"K = {budget}",
        caption=(
            "P(gold) = softmax over a proxy's option scores at the gold option, averaged over proxies; the cell is "
            "its change under the intervention, signed so that the intended direction is positive (a degrader "
            "that lowers P(gold) by 3 points reads +3.0). It moves when the argmax does not. Second line: 95% "
            f"paired-bootstrap interval; {OUTSIDE_NULL}: beyond random neuron sets of the same size, the test and "
            "the Benjamini-Hochberg step of Table 1; 'answer shift': P(gold) moved the intended way but its mean "
            "over gold answers (balanced) did not; never marked. Null rows: mean [95% prediction interval of a new "
            "random set]. Bold/underlined: largest/second among marked cells."
        ),
        row_header=["Method"],
        groups=[(column_headers().get(t, t), ["Deg", "Enh"]) for t in tasks],
        rank_measure="gold_prob_signed",
    )
    for row in spec.rows(ordered({m["method"] for m in ms}, spec.methods)):
        cells = [
            _signed_cell(
                effect_of(index.get((t, row.method)), condition_of(row, leaf)),
                index.get((t, row.method)),
                condition_of(row, leaf),
            )
            for t in tasks
            for leaf in spec.leaves
        ]
        table.rows.append(Row(list(row.labels), cells, method=row.method))
    for row in spec.null_rows:
        cells = []
        for task in tasks:
            for leaf in spec.leaves:
                band = null_band_of(ms, task, f"{leaf.direction}/{row.method.removeprefix('null:')}", False)
                prob = band.get("gold_prob_signed") if band else None
                bounds = (
                    ", ".join("?" if prob.get(k) is None else number(prob[k], 1) for k in ("low", "high"))
                    if prob
                    else ""
                )
                cells.append(
                    Cell(f"{number(prob['mean'], 1, True)} [{bounds}]", detail=f"n = {band['sets']}")
                    if band and prob and prob.get("mean") is not None
                    else Cell(MISSING)
                )
        if any(c.text != MISSING for c in cells):
            table.rows.append(Row(list(row.labels), cells, "null"))
    mark_evidence(table, PROBABILITY_MEASURES)
    mark_best(table)
    table.caption += calibration_note(table, ms, PROBABILITY_MEASURES)
    return table


def bias_table(ms: list[dict]) -> Table | None:
    """The unmodified model on each task: how far from chance, and how much of it is one answer."""
    tasks = ordered((m["task"] for m in ms), column_headers())
    rows = []
    for task in tasks:
        bias = next((m.get("bias") for m in ms if m["task"] == task and m.get("bias")), None)
        if not bias:
            continue
        interval = (
            f" [{100 * bias['acc_low']:.1f}, {100 * bias['acc_high']:.1f}]" if bias.get("acc_low") is not None else ""
        )
        balanced = (
            f" [{100 * bias['balanced_acc_low']:.1f}, {100 * bias['balanced_acc_high']:.1f}]"
            if bias.get("balanced_acc_low") is not None
            else ""
        )
        majority = (
            f"{bias['majority_answer']} ({100 * bias['majority_rate']:.1f}%)"
            if bias.get("majority_rate") is not None
            else MISSING
        )
        flag = "not above chance" if bias.get("at_chance") else "above chance"
        rows.append(
            Row(
                [column_headers().get(task, task)],
                [
                    Cell(f"{100 * bias['chance']:.1f}"),
                    Cell(majority),
                    Cell(f"{100 * bias['acc']:.1f}{interval}"),
                    Cell(f"{100 * bias['balanced_acc']:.1f}{balanced}"),
                    Cell(f"{bias['top_answer']} ({100 * bias['top_answer_share']:.0f}%)"),
                    Cell(f"{100 * bias['top_position_share']:.0f}%"),
                    Cell(flag),
                ],
            )
        )
    if not rows:
        return None
    return Table(
        title=f"Table 1c: the unmodified {model_label(ms)} on each task (answer bias)",
        caption=(
            "Chance = mean over proxies of 1/options. Majority = the most frequent gold answer and its share of the "
            "proxies (the accuracy of always giving it). Accuracy and balanced accuracy with their 95% bootstrap "
            "intervals; balanced accuracy = mean over gold answers (answer texts; gold positions where every text is "
            "unique) of the accuracy on their proxies (a constant answer scores 1/classes). Top answer: the most "
            "frequent predicted answer and its share; top position: the share of the most frequent answer position. "
            "Not above chance: the accuracy's interval reaches chance or the majority rate, or the balanced "
            "accuracy's reaches chance. There, an intervention that only shifts the answer bias can read as a large "
            "RAC/RCC; the tables flag such cells 'answer shift'."
        ),
        row_header=["Task"],
        groups=[
            (
                "",
                [
                    "chance %",
                    "majority",
                    "acc % [95% CI]",
                    "balanced acc % [95% CI]",
                    "top answer",
                    "top position",
                    "verdict",
                ],
            )
        ],
        rows=rows,
        rank=False,
    )
