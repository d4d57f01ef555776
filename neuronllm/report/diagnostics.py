"""Table 1's companions: 1b, the continuous effect (change of the gold option's probability), and 1c,
the unmodified model's answer bias on each task (how far from chance, how much of it is one answer)."""

from __future__ import annotations

from typing import Any

from neuronllm.methods import table1_part
from neuronllm.report.cells import MISSING, OUTSIDE_NULL, Cell, Row, Table, mark_best
from neuronllm.report.kinds import KINDS, TASKS
from neuronllm.report.values import effect_of, model_label, null_band_of, number, ordered

def _signed_cell(value: dict | None) -> Cell:
    """"+3.2 [1.0, 5.5]": the change of the mean gold-option probability, percentage points, intended
    direction positive, with its interval; † beyond the null band."""
    if value is None or value.get("gold_prob_signed") is None:
        return Cell(MISSING)
    text = number(value["gold_prob_signed"], 1, signed=True)
    low, high = value.get("gold_prob_signed_low"), value.get("gold_prob_signed_high")
    detail = f"[{number(low, 1)}, {number(high, 1)}]" if low is not None and high is not None else ""
    null = value.get("null") or {}
    if (null.get("outside") or {}).get("gold_prob_signed"):
        detail = f"{detail} {OUTSIDE_NULL}".strip()
    significant = low is not None and low > 0
    return Cell(text, rank_key=(value["gold_prob_signed"], 0.0) if significant else None, detail=detail,
                significant=significant)


def probability_table(ms: list[dict], budget: Any) -> Table | None:
    """Table 1b: the continuous effect, Δ mean P(gold option), for every method x task x {Deg, Enh}."""
    if not any(c.get("gold_prob_signed") is not None for m in ms for c in m["conditions"].values()):
        return None
    spec = KINDS["table1"]
    tasks = ordered((m["task"] for m in ms), TASKS)
    index = {(m["task"], m["method"]): m for m in ms}
    table = Table(
        title=f"Table 1b: change of the gold option's probability (percentage points) of {model_label(ms)}, K = {budget}",
        caption=("P(gold) = softmax over a proxy's option scores at the gold option, averaged over proxies; the cell is "
                 "its change under the intervention, signed so that the intended direction is positive (a degrader "
                 "that lowers P(gold) by 3 points reads +3.0). It moves when the argmax does not. Second line: 95% "
                 f"paired-bootstrap interval; {OUTSIDE_NULL}: beyond the null band; bold/underlined: largest/second "
                 "among intervals that exclude 0."),
        row_header=["Method"], groups=[(TASKS.get(t, t), ["Deg", "Enh"]) for t in tasks],
    )
    for row in spec.rows(ordered({m["method"] for m in ms}, spec.methods)):
        cells = [_signed_cell(effect_of(index.get((t, row.method)), f"{leaf.direction}/{table1_part(row.method)}"))
                 for t in tasks for leaf in spec.leaves]
        table.rows.append(Row(list(row.labels), cells))
    for row in spec.null_rows:
        cells = []
        for task in tasks:
            for leaf in spec.leaves:
                band = null_band_of(ms, task, f"{leaf.direction}/{row.method.removeprefix('null:')}", False)
                prob = band.get("gold_prob_signed") if band else None
                cells.append(Cell(f"{number(prob['mean'], 1, True)} [{number(prob['low'], 1)}, {number(prob['high'], 1)}]",
                                  detail=f"n = {band['sets']}")
                             if prob and prob.get("mean") is not None else Cell(MISSING))
        if any(c.text != MISSING for c in cells):
            table.rows.append(Row(list(row.labels), cells, "null"))
    mark_best(table)
    return table


def bias_table(ms: list[dict]) -> Table | None:
    """The unmodified model on each task: how far from chance, and how much of it is one answer."""
    tasks = ordered((m["task"] for m in ms), TASKS)
    rows = []
    for task in tasks:
        bias = next((m.get("bias") for m in ms if m["task"] == task and m.get("bias")), None)
        if not bias:
            continue
        interval = (f" [{100 * bias['acc_low']:.1f}, {100 * bias['acc_high']:.1f}]"
                    if bias.get("acc_low") is not None else "")
        flag = "not above chance" if bias.get("at_chance") else "above chance"
        rows.append(Row([TASKS.get(task, task)], [
            Cell(f"{100 * bias['chance']:.1f}"), Cell(f"{100 * bias['acc']:.1f}{interval}"),
            Cell(f"{100 * bias['balanced_acc']:.1f}"), Cell(f"{bias['top_answer']} ({100 * bias['top_answer_share']:.0f}%)"),
            Cell(f"{100 * bias['top_position_share']:.0f}%"), Cell(flag),
        ]))
    if not rows:
        return None
    return Table(
        title=f"Table 1c: the unmodified {model_label(ms)} on each task (answer bias)",
        caption=("Chance = mean over proxies of 1/options. Accuracy with its 95% bootstrap interval. Balanced accuracy = "
                 "mean over gold answers of the accuracy on their proxies (a constant answer scores 1/classes). Top answer: "
                 "the most frequent predicted answer and its share; top position: the share of the most frequent answer "
                 "position. Not above chance: the accuracy's interval reaches chance. There, an intervention that only shifts the answer bias can "
                 "read as a large RAC/RCC."),
        row_header=["Task"], groups=[("", ["chance %", "acc % [95% CI]", "balanced acc %", "top answer", "top position",
                                            "verdict"])],
        rows=rows, rank=False,
    )
