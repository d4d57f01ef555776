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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from neuronllm.errors import UserError
from neuronllm.methods import ablation_methods, label, table1_part
from neuronllm.metrics import average_effect, effect
from neuronllm.report.cells import MISSING, OUTSIDE_MATCHED, OUTSIDE_NULL, Cell, Row, Table, effect_cell, mark_best
from neuronllm.report.inputs import load_paper_numbers
from neuronllm.report.seeds import combine_seeds

TASKS = {"ner": "NER", "chunking": "Chunking", "sentiment": "Sentiment", "commonsense": "Commonsense"}
PAPER_TASKS = {"table5": {"commonsense": "ComSense"}}  # the paper's Table 5 abbreviates one header
DIRECTIONS = {"deg": "Deg", "enh": "Enh"}
PARTS = ("good", "bad", "both")
TABLE1_METHODS = ("cni", "tn", "qrnca", "kn", "act", "random")
TABLE7_METHODS = ("cni", "tn", "qrnca")
DEFAULT_BUDGET = 100  # the paper's Table 1 budget (Table 7's K = 100 column repeats its Commonsense cells)
PAPER_REFERENCE_MODEL = "LLaMA 2-7B"
PAPER_CAPTION = "Source: the paper's tables (neuronllm/paper_numbers.json); cells RAC/RCC % as printed."


@dataclass(frozen=True)
class RowSpec:
    labels: tuple[str, ...]
    method: str
    direction: str | None = None  # set by the row (Table 5, ablation) or by the leaf (Table 1, 7)
    rank_group: str = ""


@dataclass(frozen=True)
class Leaf:
    label: str
    direction: str | None = None
    part: str | None = None  # None: the method's Table 1 part (registry)


@dataclass(frozen=True)
class Kind:
    name: str
    what: str  # for messages: "Table 1"
    title: str  # .format(model=, k=, task=)
    methods: tuple[str, ...]  # which metrics files belong (in display order)
    row_header: tuple[str, ...]
    leaves: tuple[Leaf, ...]
    rows: Callable[[list[str]], list[RowSpec]]
    per_budget: bool = False  # columns are budgets of one task (Table 7), else tasks at one budget
    average: str | None = "Average"
    rank: bool = True
    paper_path: Callable[[RowSpec, str, Leaf], tuple[str, ...]] = lambda row, column, leaf: ()
    null_rows: tuple[RowSpec, ...] = ()  # method "null:PART" ("null:" = the leaf's part)


def _method_rows(methods: list[str]) -> list[RowSpec]:
    return [RowSpec((label(m),), m) for m in methods]


def _direction_rows(methods: list[str]) -> list[RowSpec]:
    return [RowSpec((DIRECTIONS[d],), "common", d) for d in DIRECTIONS]


def _ablation_rows(methods: list[str]) -> list[RowSpec]:
    labels = ablation_methods()
    return [RowSpec((labels[m], DIRECTIONS[d]), m, d, rank_group=d) for m in methods for d in DIRECTIONS]


KINDS: dict[str, Kind] = {
    "table1": Kind(
        "table1", "Table 1", "Table 1: RAC/RCC (%) of {model}, K = {k}", TABLE1_METHODS, ("Method",),
        (Leaf("Deg", "deg"), Leaf("Enh", "enh")), _method_rows,
        paper_path=lambda row, column, leaf: (label(row.method), column, leaf.label),
        null_rows=(RowSpec(("Null: K random neurons",), "null:good"), RowSpec(("Null: K + K random neurons",), "null:both")),
    ),
    "table5": Kind(
        "table5", "Table 5", "Table 5: common ability neurons, RAC/RCC (%) of {model}, K = {k}", ("common",),
        ("Operation",), (Leaf(""),), _direction_rows, average="AVERAGE", rank=False,
        paper_path=lambda row, column, leaf: (row.labels[0], column),
        null_rows=(RowSpec(("Null Deg",), "null:both", "deg"), RowSpec(("Null Enh",), "null:both", "enh")),
    ),
    "ablation": Kind(
        "ablation", "the ablation", "Ablation: good / bad / both neurons, RAC/RCC (%) of {model}, K = {k}",
        tuple(ablation_methods()), ("Method", "Eval"),
        tuple(Leaf(p.capitalize(), part=p) for p in PARTS), _ablation_rows, average="AVERAGE",
        paper_path=lambda row, column, leaf: (row.labels[0], row.labels[1], column, leaf.label),
        null_rows=(RowSpec(("Null", "Deg"), "null:", "deg", "null"), RowSpec(("Null", "Enh"), "null:", "enh", "null")),
    ),
    "table7": Kind(
        "table7", "Table 7", "Table 7: intervention budget K, RAC/RCC (%) of {model} on {task}", TABLE7_METHODS,
        ("Method",), (Leaf("Enh", "enh"), Leaf("Deg", "deg")), _method_rows, per_budget=True, average=None,
        paper_path=lambda row, column, leaf: (column.removeprefix("K = "), label(row.method), leaf.label),
    ),
}


# ----------------------------------------------------------------------------------------------- helpers

def ordered(values, order) -> list:
    """Known names in the given order, then any others sorted."""
    present = set(values)
    known = [v for v in order if v in present]
    return known + sorted(present - set(known))


STORED_STATISTICS = ("rac_signed", "rcc_signed", "gold_prob_signed", "acc_delta", "com_delta", "gold_prob_delta")


def _effect_of(m: dict | None, condition: str) -> dict | None:
    """The effect of a condition, recomputed from acc/comprehension (metrics.effect), with the stored
    intervals and null comparison; None (printed "–") when absent or when it changed no neuron."""
    if m is None or condition not in m["conditions"] or m["conditions"][condition].get("neurons_changed") == 0:
        return None
    stored = m["conditions"][condition]
    value = effect(m["original"], stored, condition.split("/")[0])
    for name in STORED_STATISTICS:
        for suffix in ("", "_low", "_high"):
            if f"{name}{suffix}" in stored:
                value[f"{name}{suffix}"] = stored[f"{name}{suffix}"]
    if "mcnemar_p" in stored:
        value["mcnemar_p"] = stored["mcnemar_p"]
    null = stored.get("null")
    if null:
        value["outside_null"] = bool((null.get("outside") or {}).get("rac_signed"))
        value["null"] = null
    matched = stored.get("null_matched")
    if matched:
        value["outside_matched"] = bool((matched.get("outside") or {}).get("rac_signed"))
    return value


def _average(values: list[dict | None], direction: str) -> dict | None:
    """Average over the table's tasks; "–" when any task is missing, so averages stay comparable across
    rows. It says how many of its cells are Fail."""
    if not values or any(v is None for v in values):
        return None
    average = average_effect(values, direction)  # type: ignore[arg-type]
    return average | {"fails": sum(bool(v["fail"]) for v in values)}  # type: ignore[index]


def _paper_model(model_id: str, paper: dict) -> str | None:
    for name, hf_id in paper["hf_ids"].items():
        if hf_id.lower() == model_id.lower():
            return name
    return None


def _dig(tree: Any, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if not isinstance(tree, dict) or key not in tree:
            return None
        tree = tree[key]
    return tree if isinstance(tree, str) else None


def pick_budget(metrics: list[dict], budget: int | None, what: str) -> int:
    budgets = sorted({m["budget"] for m in metrics})
    if budget is not None:
        if budget not in budgets:
            raise UserError(f"no {what} metrics with budget {budget}: the files have budgets {budgets}")
        return budget
    if len(budgets) == 1:
        return budgets[0]
    if DEFAULT_BUDGET in budgets:
        return DEFAULT_BUDGET
    raise UserError(f"{what} metrics have budgets {budgets}: choose one (budget=...)")


def pick_task(metrics: list[dict], task: str | None, what: str) -> str:
    tasks = sorted({m["task"] for m in metrics})
    if task is None:
        if "commonsense" in tasks or len(tasks) == 1:
            return "commonsense" if "commonsense" in tasks else tasks[0]
        raise UserError(f"{what} needs one task: the metrics have {tasks} (choose one with task=...)")
    if task not in tasks:
        hint = difflib.get_close_matches(task, tasks, n=1)
        raise UserError(f"no {what} metrics for task {task!r}: have {tasks}" + (f" (did you mean {hint[0]!r}?)" if hint else ""))
    return task


def _values(metrics: list[dict], key: str) -> str:
    found = sorted({str(m[key]) for m in metrics if m.get(key) is not None})
    return ", ".join(found) if found else "n/a"


def model_label(metrics: list[dict]) -> str:
    """The model's display name (its id when the files carry no model_label)."""
    labels = _values(metrics, "model_label")
    return labels if labels != "n/a" else _values(metrics, "model")


def caption(metrics: list[dict], tasks: list[str], config: str | Path | None = None) -> str:
    """What produced a table: model, answer format, data, instances, seed, steps, budgets, config, and the
    unintervened Acc/Com per task (the baseline every RAC/RCC is relative to)."""
    parts = [
        f"Model: {model_label(metrics)} [{_values(metrics, 'model')}]",
        f"answer format: {_values(metrics, 'answer_format')}",
        f"data: {_values(metrics, 'data')}",
        f"eval instances: {_values(metrics, 'eval_instances')}",
        f"seed: {_values(metrics, 'seed')}",
        f"steps: {_values(metrics, 'steps')}",
        f"budget K: {', '.join(str(b) for b in sorted({m['budget'] for m in metrics}))}",
    ]
    if config is not None:
        parts.append(f"config: {Path(config).name}")
    originals = []
    for task in tasks:
        pairs = sorted({f"{100 * m['original']['acc']:.1f}/{100 * m['original']['comprehension']:.1f}"
                        for m in metrics if m["task"] == task})
        if pairs:
            originals.append(f"{TASKS.get(task, task)} {' or '.join(pairs)}")
    parts.append("original (unintervened) Acc/Com %: " + ", ".join(originals))
    return "; ".join(parts) + "."


# ----------------------------------------------------------------------------------------------- building

def build_tables(kind: str, metrics: list[dict], *, budget: int | None = None, task: str | None = None,
                 config: str | Path | None = None) -> list[Table]:
    """The `kind` tables of every model in `metrics`, and the paper's own table where no model is the paper's."""
    if kind not in KINDS:
        hint = difflib.get_close_matches(kind, list(KINDS), n=1)
        raise UserError(f"unknown report {kind!r}: expected one of {', '.join(KINDS)}"
                        + (f" (did you mean {hint[0]!r}?)" if hint else ""))
    spec = KINDS[kind]
    paper = load_paper_numbers()
    relevant = [m for m in metrics if m["method"] in spec.methods]
    if not relevant:
        raise UserError(f"no metrics for {spec.what} (methods {', '.join(spec.methods)}) were given")
    if spec.per_budget:
        fixed = pick_task(relevant, task, spec.what)
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
        paper_name = _paper_model(model, paper)
        if spec.per_budget and not (paper_name == paper["table7"]["model"] and TASKS.get(fixed) == paper["table7"]["task"]):
            paper_name = None
        needs_reference |= paper_name is None
        tables.append(_model_table(spec, ms, paper, paper_name, fixed, config))
        if kind == "table1":
            tables += [t for t in (probability_table(ms, fixed), bias_table(ms)) if t is not None]
    if needs_reference:
        tables.append(paper_table(spec, paper))
    return tables


def check_consistent(ms: list[dict]) -> None:
    """One table compares like with like: one answer format, one dataset, one evaluation size."""
    for key, what in (("answer_format", "answer formats"), ("data", "data"), ("eval_instances", "evaluation sizes")):
        values: dict[str, str] = {}
        for m in ms:
            values.setdefault(str(m.get(key)), m.get("_source", "?"))
        if len(values) > 1:
            (a, source_a), (b, source_b) = list(values.items())[:2]
            raise UserError(f"metrics of different {what} in one table: {source_a} ({a}) and {source_b} ({b})")


def _signed_cell(value: dict | None) -> Cell:
    """"+3.2 [1.0, 5.5]": the change of the mean gold-option probability, percentage points, intended
    direction positive, with its interval; † beyond the null band."""
    if value is None or value.get("gold_prob_signed") is None:
        return Cell(MISSING)
    text = _number(value["gold_prob_signed"], 1, signed=True)
    low, high = value.get("gold_prob_signed_low"), value.get("gold_prob_signed_high")
    detail = f"[{_number(low, 1)}, {_number(high, 1)}]" if low is not None and high is not None else ""
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
        cells = [_signed_cell(_effect_of(index.get((t, row.method)), f"{leaf.direction}/{table1_part(row.method)}"))
                 for t in tasks for leaf in spec.leaves]
        table.rows.append(Row(list(row.labels), cells))
    for row in spec.null_rows:
        cells = []
        for task in tasks:
            for leaf in spec.leaves:
                band = _null_band_of(ms, task, f"{leaf.direction}/{row.method.removeprefix('null:')}", False)
                prob = band.get("gold_prob_signed") if band else None
                cells.append(Cell(f"{_number(prob['mean'], 1, True)} [{_number(prob['low'], 1)}, {_number(prob['high'], 1)}]",
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
        flag = "at or below chance" if bias.get("at_chance") else "above chance"
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
                 "position. Where accuracy is at or below chance, an intervention that only shifts the answer bias can "
                 "read as a large RAC/RCC."),
        row_header=["Task"], groups=[("", ["chance %", "acc % [95% CI]", "balanced acc %", "top answer", "top position",
                                            "verdict"])],
        rows=rows, rank=False,
    )


def _model_table(spec: Kind, ms: list[dict], paper: dict, paper_name: str | None, fixed: Any, config) -> Table:
    if spec.per_budget:
        columns = sorted({m["budget"] for m in ms})
        headers = [f"K = {b}" for b in columns]
        index = {(m["budget"], m["method"]): m for m in ms}
        tasks = [fixed]
    else:
        columns = ordered((m["task"] for m in ms), TASKS)
        headers = [TASKS.get(t, t) for t in columns]
        index = {(m["task"], m["method"]): m for m in ms}
        tasks = columns
    leaves = [leaf.label for leaf in spec.leaves]
    groups = [(h, leaves) for h in headers] + ([(spec.average, leaves)] if spec.average else [])
    table = Table(
        title=spec.title.format(model=model_label(ms), k=fixed, task=TASKS.get(str(fixed), fixed)),
        caption=caption(ms, tasks, config) + (f" Cells: ours | paper ({paper_name}, as printed)." if paper_name else ""),
        row_header=list(spec.row_header), groups=groups, side_by_side=paper_name is not None, rank=spec.rank,
    )
    paper_rows = _paper_rows(spec, paper, paper_name)
    paper_headers = [PAPER_TASKS.get(spec.name, {}).get(c, h) if not spec.per_budget else h for c, h in zip(columns, headers)]
    for row in spec.rows(ordered({m["method"] for m in ms}, spec.methods)):
        cells, per_leaf = [], {leaf: [] for leaf in spec.leaves}
        for column, paper_header in zip(columns, paper_headers):
            for leaf in spec.leaves:
                direction = row.direction or leaf.direction
                condition = f"{direction}/{leaf.part or table1_part(row.method)}"
                value = _effect_of(index.get((column, row.method)), condition)
                per_leaf[leaf].append(value)
                cells.append(effect_cell(value, _dig(paper_rows, spec.paper_path(row, paper_header, leaf))))
        if spec.average:
            for leaf in spec.leaves:
                value = _average(per_leaf[leaf], row.direction or leaf.direction)
                cells.append(effect_cell(value, _dig(paper_rows, spec.paper_path(row, spec.average, leaf))))
        table.rows.append(Row(list(row.labels), cells, row.rank_group))
    null_rows = _null_rows(spec, columns, ms)
    table.rows += null_rows
    mark_best(table)
    table.caption += _reading_notes(spec, ms, tasks, bool(null_rows))
    return table


def _null_band_of(ms: list[dict], column: Any, condition: str, per_budget: bool) -> dict | None:
    """The null band stored with any metrics file of this column and condition (they share the nulls)."""
    for m in ms:
        if (m["budget"] if per_budget else m["task"]) != column:
            continue
        null = (m["conditions"].get(condition) or {}).get("null")
        if null and null.get("rac_signed", {}).get("mean") is not None:
            return null
    return None


def _number(value: float, decimals: int, signed: bool = False) -> str:
    """A rounded number without "-0"."""
    rounded = round(value, decimals) + 0.0
    return f"{rounded:+.{decimals}f}" if signed else f"{rounded:.{decimals}f}"


def _band_text(band: dict) -> str:
    return f"{_number(band['mean'], 1)} [{_number(band['low'], 0)}, {_number(band['high'], 0)}]"


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
                band = _null_band_of(ms, column, f"{direction}/{part}", spec.per_budget)
                found |= band is not None
                cells.append(Cell(_band_text(band["rac_signed"]), detail=f"n = {band['sets']}") if band else Cell(MISSING))
        if spec.average:
            cells += [Cell(MISSING) for _ in spec.leaves]
        if found:
            rows.append(Row(list(row.labels), cells, row.rank_group or "null"))
    return rows


def _reading_notes(spec: Kind, ms: list[dict], tasks: list, has_null: bool) -> str:
    """What a reader needs to judge the cells: intervals, marks, the null, equal footing, chance."""
    notes = [" Second line: 95% paired-bootstrap interval of the signed relative change of accuracy/comprehension "
             "(%, intended direction positive; instances resampled with their 3 proxies)."]
    notes.append(" Bold/underlined: best/second among cells whose accuracy interval excludes no effect.")
    if has_null:
        notes.append(f" {OUTSIDE_NULL}: the accuracy effect lies beyond the null band (the 97.5th percentile of the "
                     "same change under random neuron sets of the same size; Null rows show its mean [2.5%, 97.5%]) "
                     "and its own interval excludes no effect.")
    if any(c.get("null_matched") for m in ms for c in m["conditions"].values()):
        notes.append(f" {OUTSIDE_MATCHED}: also beyond the null of random neurons matched to the set's activation "
                     "magnitudes (decile by decile).")
    if spec.name in ("table1", "table7"):
        notes.append(" Equal footing: NeuronLLM's Deg/Enh change K good + K bad neurons, each baseline K; the "
                     "ablation's Good column is the equal-budget comparison.")
    flagged = []
    for task in tasks:
        bias = next((m.get("bias") for m in ms if m["task"] == task and m.get("bias")), None)
        if bias and bias.get("at_chance"):
            flagged.append(f"{TASKS.get(task, task)} (acc {100 * bias['acc']:.1f}% vs chance {100 * bias['chance']:.1f}%, "
                           f"'{bias['top_answer']}' {100 * bias['top_answer_share']:.0f}% of answers)")
    if flagged:
        notes.append(" At or below chance, effects here may be answer-bias shifts, not ability: " + "; ".join(flagged) + ".")
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
        title = (f"Paper's numbers for {spec.what}: {model} ({paper['hf_ids'][model]}) on {task}, a different model "
                 f"or task from ours; for reference only")
    else:
        rows_source = paper[spec.name][model]
        headers = {"table1": ["NER", "Chunking", "Sentiment", "Commonsense"],
                   "table5": ["NER", "Chunking", "Sentiment", "ComSense"],
                   "ablation": ["NER", "Chunking", "Sentiment", "Commonsense"]}[spec.name]
        title = (f"Paper's numbers for {spec.what}: {model} ({paper['hf_ids'][model]}), a different model from ours; "
                 f"for reference only")
    leaves = [leaf.label for leaf in spec.leaves]
    groups = [(h, leaves) for h in headers] + ([(spec.average, leaves)] if spec.average else [])
    table = Table(title, PAPER_CAPTION, list(spec.row_header), groups, rank=False)
    for row in spec.rows(list(spec.methods)):
        if _dig(rows_source if not spec.per_budget else rows_source, spec.paper_path(row, headers[0], spec.leaves[0])) is None:
            continue  # a row the paper does not have
        cells = [Cell(_dig(rows_source, spec.paper_path(row, h, leaf)) or "–") for h, _ in groups for leaf in spec.leaves]
        table.rows.append(Row(list(row.labels), cells))
    return table
