"""One table builder, parameterised by the kind of table.

Every table takes the same steps: keep the metrics files of its methods, fix one budget (or one task,
for the budget table), group by model, and fill rows x (column group x leaf) with cells, where a
cell's condition is (method, direction, part) read from its row and its leaf; then an Average group
(mean of signed changes, metrics.average_effect), the best/second marks, and the paper's own numbers:
beside ours ("ours | paper") when our model is one of the paper's, else the paper's table after ours.

Kinds: "table1" (methods x tasks x {Deg, Enh}), "table5" (common ability neurons: {Deg, Enh} x tasks),
"ablation" (method x {Deg, Enh} x tasks x {Good, Bad, Both}), "table7" (methods x budgets x {Enh, Deg}).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from neuronllm.analysis.evidence import LEVEL, MIN_NULL_SETS
from neuronllm.errors import UserError
from neuronllm.report.calibration import calibration_note
from neuronllm.report.cells import (
    ANSWER_SHIFT,
    MISSING,
    OUTSIDE_MATCHED,
    OUTSIDE_NULL,
    Cell,
    Row,
    Table,
    effect_cell,
    mark_best,
    mark_evidence,
)
from neuronllm.report.diagnostics import bias_table, probability_table
from neuronllm.report.inputs import load_paper_numbers
from neuronllm.report.seeds import combine_seeds
from neuronllm.report.table_kinds import (
    KINDS,
    PAPER_CAPTION,
    PAPER_REFERENCE_MODEL,
    PAPER_TASKS,
    Kind,
    Leaf,
    column_headers,
    condition_of,
)
from neuronllm.report.values import (
    TABLE1_MEASURES,
    average_of,
    band_text,
    caption,
    dig,
    effect_of,
    model_label,
    null_band_of,
    ordered,
    paper_model,
    pick_budget,
    pick_task,
)

__all__ = [
    "KINDS",
    "column_headers",
    "build_tables",
    "caption",
    "check_consistent",
    "model_label",
    "ordered",
    "paper_table",
]


# ----------------------------------------------------------------------------------------------- building


def build_tables(
    kind: str,
    metrics: list[dict],
    *,
    budget: int | None = None,
    task: str | None = None,
    config: str | Path | None = None,
) -> list[Table]:
    """The `kind` tables of every model in `metrics`, and the paper's own table where no model is the paper's."""
    if kind not in KINDS:
        hint = difflib.get_close_matches(kind, list(KINDS), n=1)
        raise UserError(
            f"unknown report {kind!r}: expected one of {', '.join(KINDS)}"
            + (f" (did you mean {hint[0]!r}?)" if hint else "")
        )
    spec = KINDS[kind]
    paper = load_paper_numbers()
    relevant = [m for m in metrics if m["method"] in spec.methods]
    if not relevant:
        raise UserError(f"no metrics for {spec.what} (methods {', '.join(spec.methods)}) were given")
    if spec.per_budget:
        fixed: str | int = pick_task(relevant, task, spec.what)
        selected = [m for m in relevant if m["task"] == fixed]
    else:
        fixed = pick_budget(relevant, budget, spec.what)
        selected = [m for m in relevant if m["budget"] == fixed]
    by_model: dict[str, list[dict]] = {}
    for m in selected:
        by_model.setdefault(m["model"], []).append(m)
    tables, needs_reference = [], False
    for model, ms in sorted(by_model.items()):
        check_consistent(ms)
        ms = combine_seeds(ms)
        paper_name = paper_model(model, paper)
        if spec.per_budget and not (
            paper_name == paper["table7"]["model"] and column_headers().get(str(fixed)) == paper["table7"]["task"]
        ):
            paper_name = None
        needs_reference |= paper_name is None
        tables.append(_model_table(spec, ms, paper, paper_name, fixed, config))
        if kind == "table1":
            tables += [t for t in (probability_table(ms, fixed), bias_table(ms)) if t is not None]
    if needs_reference:
        tables.append(paper_table(spec, paper))
    return tables


def check_consistent(ms: list[dict]) -> None:
    """One table compares like with like: one answer format, one dataset, and within a task one
    evaluation size (tasks ship different numbers of instances; every one is evaluated by default)."""
    groups = [(key, what, [ms]) for key, what in (("answer_format", "answer formats"), ("data", "data"))]
    by_task: dict[str, list[dict]] = {}
    for m in ms:
        by_task.setdefault(m["task"], []).append(m)
    groups.append(("eval_instances", "evaluation sizes", list(by_task.values())))
    for key, what, subsets in groups:
        for subset in subsets:
            values: dict[str, str] = {}
            for m in subset:
                values.setdefault(str(m.get(key)), m.get("_source", "?"))
            if len(values) > 1:
                (a, source_a), (b, source_b) = list(values.items())[:2]
                raise UserError(f"metrics of different {what} in one table: {source_a} ({a}) and {source_b} ({b})")


def _model_table(
    spec: Kind, ms: list[dict], paper: dict, paper_name: str | None, fixed: Any, config: str | Path | None
) -> Table:
    if spec.per_budget:
        columns = sorted({m["budget"] for m in ms})
        headers = [f"K = {b}" for b in columns]
        index = {(m["budget"], m["method"]): m for m in ms}
        tasks = [fixed]
    else:
        columns = ordered((m["task"] for m in ms), column_headers())
        headers = [column_headers().get(t, t) for t in columns]
        index = {(m["task"], m["method"]): m for m in ms}
        tasks = columns
    leaves = [leaf.label for leaf in spec.leaves]
    groups = [(h, leaves) for h in headers] + ([(spec.average, leaves)] if spec.average else [])
    table = Table(
        title=spec.title.format(model=model_label(ms), k=fixed, task=column_headers().get(str(fixed), fixed)),
        caption=caption(ms, tasks, config)
        + (f" Cells: ours | paper ({paper_name}, as printed)." if paper_name else ""),
        row_header=list(spec.row_header),
        groups=groups,
        side_by_side=paper_name is not None,
        rank=spec.rank,
    )
    paper_rows = _paper_rows(spec, paper, paper_name)
    paper_headers = [
        PAPER_TASKS.get(spec.name, {}).get(c, h) if not spec.per_budget else h for c, h in zip(columns, headers)
    ]
    for row in spec.rows(ordered({m["method"] for m in ms}, spec.methods)):
        cells: list[Cell] = []
        per_leaf: dict[Leaf, list[dict | None]] = {leaf: [] for leaf in spec.leaves}
        for column, paper_header in zip(columns, paper_headers):
            for leaf in spec.leaves:
                value = effect_of(index.get((column, row.method)), condition_of(row, leaf))
                per_leaf[leaf].append(value)
                cells.append(effect_cell(value, dig(paper_rows, spec.paper_path(row, paper_header, leaf))))
        if spec.average:
            for leaf in spec.leaves:
                value = average_of(per_leaf[leaf], str(row.direction or leaf.direction))
                cells.append(effect_cell(value, dig(paper_rows, spec.paper_path(row, spec.average, leaf))))
        table.rows.append(Row(list(row.labels), cells, row.rank_group, method=row.method))
    null_rows = _null_rows(spec, columns, ms)
    table.rows += null_rows
    mark_evidence(table, TABLE1_MEASURES)
    mark_best(table)
    table.caption += _reading_notes(spec, ms, tasks, bool(null_rows))
    table.caption += calibration_note(table, ms, TABLE1_MEASURES, spec.per_budget)
    return table


def _null_rows(spec: Kind, columns: list, ms: list[dict]) -> list[Row]:
    """Rows of the null band (mean [2.5%, 97.5%] of the signed accuracy change, random sets of the same
    size, several seeds): what an effect must exceed to say more than 'some neurons were changed'."""
    rows = []
    for row in spec.null_rows:
        cells, found = [], False
        for column in columns:
            for leaf in spec.leaves:
                direction = row.direction or leaf.direction
                part = row.method.removeprefix("null:") or leaf.part
                band = null_band_of(ms, column, f"{direction}/{part}", spec.per_budget)
                found |= band is not None
                cells.append(
                    Cell(band_text(band["rac_signed"]), detail=f"n = {band['sets']}") if band else Cell(MISSING)
                )
        if spec.average:
            cells += [Cell(MISSING) for _ in spec.leaves]
        if found:
            rows.append(Row(list(row.labels), cells, row.rank_group or "null"))
    return rows


def _reading_notes(spec: Kind, ms: list[dict], tasks: list, has_null: bool) -> str:
    """What a reader needs to judge the cells: intervals, marks, the null, equal footing, chance."""
    notes = [
        " Second line: 95% paired-bootstrap interval of the signed relative change of accuracy/comprehension "
        "(%, intended direction positive; instances resampled with their 3 proxies)."
    ]
    if has_null:
        notes.append(
            f" {OUTSIDE_NULL} after an interval: that measure's effect is beyond random neuron sets of the same "
            f"size, a stated test: one-sided at {100 * LEVEL:g}% against the null sets (Student-t prediction band "
            "of a new random set) and against no effect (bootstrap), then "
            f"Benjamini-Hochberg at FDR {100 * LEVEL:g}% over the table's cells of that measure; Null rows show the "
            "null sets' mean [95% prediction interval] and their number n (no test below "
            f"{MIN_NULL_SETS} sets)."
        )
    notes.append(
        f" '{ANSWER_SHIFT}': accuracy moved the intended way but balanced accuracy (mean over gold answers) "
        "did not: the intervention changed which answer the model gives, not how often it is right; never marked."
    )
    tested = any(
        (((c.get("null") or {}).get("rac_signed")) or {}).get("p") is not None
        for m in ms
        for c in m["conditions"].values()
    )
    notes.append(
        " Bold/underlined: best/second among cells that are not Fail, not answer shifts, and carry the accuracy "
        + (f"{OUTSIDE_NULL}." if tested else "interval's exclusion of no effect (no null test here).")
    )
    if any(c.get("null_matched") for m in ms for c in m["conditions"].values()):
        notes.append(
            f" {OUTSIDE_MATCHED}: also beyond the null of random neurons matched to the set's activation "
            "magnitudes (decile by decile)."
        )
    untested = sorted(
        {
            f"{m['method']} {column_headers().get(m['task'], m['task'])} {key}"
            for m in ms
            for key, c in m["conditions"].items()
            if c.get("null_unavailable")
        }
    )
    if untested:
        notes.append(
            f" No null test (and so no {OUTSIDE_NULL} and no bold) for {len(untested)} conditions whose null sets "
            "have another number of neurons per side (the method found fewer than K): " + ", ".join(untested) + "."
        )
    if spec.name in ("table1", "table7"):
        notes.append(
            " Equal footing: NeuronLLM's Deg/Enh change K good + K bad neurons, each baseline K; the row "
            "'NeuronLLM, K good (equal budget)' changes NeuronLLM's K good neurons only (the ablation's Good "
            "column), against the null of K random neurons."
        )
    flagged = []
    for task in tasks:
        bias = next((m.get("bias") for m in ms if m["task"] == task and m.get("bias")), None)
        if bias and bias.get("at_chance"):
            majority = (
                f", majority answer {100 * bias['majority_rate']:.1f}%" if bias.get("majority_rate") is not None else ""
            )
            balanced = (
                f", balanced acc {100 * bias['balanced_acc']:.1f}%" if bias.get("balanced_acc") is not None else ""
            )
            header = column_headers().get(task, task)
            flagged.append(
                f"{header} (acc {100 * bias['acc']:.1f}% vs chance {100 * bias['chance']:.1f}%"
                f"{majority}{balanced}, '{bias['top_answer']}' {100 * bias['top_answer_share']:.0f}% of answers)"
            )
    if flagged:
        notes.append(
            " Not above chance (the accuracy's 95% interval reaches chance or the majority-answer rate, or the "
            "balanced accuracy's reaches chance), effects here may be answer-bias shifts, not ability: "
            + "; ".join(flagged)
            + "."
        )
    return "".join(notes)


def _paper_rows(spec: Kind, paper: dict, paper_name: str | None) -> Any:
    if paper_name is None:
        return {}
    if spec.per_budget:
        return paper["table7"]["budgets"]
    return paper[spec.name].get(paper_name, {})


def paper_table(spec: Kind, paper: dict, model: str = PAPER_REFERENCE_MODEL) -> Table:
    """The paper's own numbers for a kind, labelled as another model's, for reference."""
    if spec.per_budget:
        reference = paper["table7"]
        model, task, rows_source = reference["model"], reference["task"], reference["budgets"]
        headers = [f"K = {b}" for b in rows_source]
        title = (
            f"Paper's numbers for {spec.what}: {model} ({paper['hf_ids'][model]}) on {task}, a different model "
            f"or task from ours; for reference only"
        )
    else:
        rows_source = paper[spec.name][model]
        headers = {
            "table1": ["NER", "Chunking", "Sentiment", "Commonsense"],
            "table5": ["NER", "Chunking", "Sentiment", "ComSense"],
            "ablation": ["NER", "Chunking", "Sentiment", "Commonsense"],
        }[spec.name]
        title = (
            f"Paper's numbers for {spec.what}: {model} ({paper['hf_ids'][model]}), a different model from ours; "
            f"for reference only"
        )
    leaves = [leaf.label for leaf in spec.leaves]
    groups = [(h, leaves) for h in headers] + ([(spec.average, leaves)] if spec.average else [])
    table = Table(title, PAPER_CAPTION, list(spec.row_header), groups, rank=False)
    for row in spec.rows(list(spec.methods)):
        if (
            dig(rows_source if not spec.per_budget else rows_source, spec.paper_path(row, headers[0], spec.leaves[0]))
            is None
        ):
            continue  # a row the paper does not have
        cells = [
            Cell(dig(rows_source, spec.paper_path(row, h, leaf)) or "–") for h, _ in groups for leaf in spec.leaves
        ]
        table.rows.append(Row(list(row.labels), cells))
    return table
