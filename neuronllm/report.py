"""Tables (Markdown + LaTeX) and the layer figure, from metrics files and neuron sets.

Every cell is recomputed from the file's "original" and per-condition "acc"/"comprehension" with
`neuronllm.metrics.effect`, so a table always follows the definitions in metrics.py (eq. 6/7 and Fail);
any stored rac/rcc/fail must agree with that (else the file is reported as malformed).

Metrics file (one per model, task, method, budget; results/{model}/{task}/{method}/k{budget}/metrics.json):
    {"model", "model_label", "task", "method", "budget", "answer_format", "seed", "eval_instances", "steps",
     "data", "original": {"acc", "comprehension"},
     "conditions": {"deg/both": {"acc", "comprehension", "rac", "rcc", "fail", ...}, "enh/good": {...}, ...}}

Tables: "table1" (methods x tasks x {Deg, Enh}), "table5" (common ability neurons), "ablation"
(Good/Bad/Both), "table7" (budget sensitivity). Where the metrics' model is one of the paper's, each cell
shows "ours | paper"; otherwise the paper's LLaMA 2-7B table follows ours, labelled as a different model.
"""

from __future__ import annotations

import difflib
import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuronllm.atomic import atomic_path, write_text
from neuronllm.errors import UserError
from neuronllm.metrics import average_effect, effect

TASKS = {"ner": "NER", "chunking": "Chunking", "sentiment": "Sentiment", "commonsense": "Commonsense"}
METHODS = {
    "cni": "NeuronLLM", "tn": "TN", "qrnca": "QRNCA", "kn": "KN", "act": "ACT", "random": "RANDOM",
    "common": "Common ability neurons",
}
ABLATION_METHODS = {"cni": "NeuronLLM", "tn": "TN-enabled", "qrnca": "QRNCA-enabled"}
TABLE7_METHODS = ("cni", "tn", "qrnca")
TABLE7_BUDGETS = (10, 25, 50, 100, 150, 200, 250, 500)
DEFAULT_BUDGET = 100  # the paper's Table 1 budget (Table 7's K = 100 column repeats its Commonsense cells)
PAPER_REFERENCE_MODEL = "LLaMA 2-7B"
PARTS = ("good", "bad", "both")
DIRECTIONS = {"deg": "Deg", "enh": "Enh"}
KINDS = ("table1", "table5", "ablation", "table7")
MISSING = "–"
PAPER_FILE = Path(__file__).with_name("paper_numbers.json")


# ----------------------------------------------------------------------------------------------- loading

def load_metrics(paths: Iterable[str | Path]) -> list[dict]:
    """Read and check metrics files; each dict gets "_source" (its path) for error messages."""
    metrics = [_load_one(Path(path)) for path in paths]
    seen: dict[tuple, str] = {}
    for m in metrics:
        key = (m["model"], m["task"], m["method"], m["budget"])
        if key in seen:
            raise UserError(f"{m['_source']}: same model/task/method/budget {key} as {seen[key]}")
        seen[key] = m["_source"]
    return metrics


def _load_one(path: Path) -> dict:
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"metrics file not found: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise UserError(f"{path}: not valid JSON ({err})") from None
    validate_metrics(obj, source=str(path))
    return {**obj, "_source": str(path)}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def validate_metrics(obj: Any, source: str = "metrics") -> None:
    """Raise UserError (naming `source`) unless `obj` has the fields the tables read, consistent with metrics.py."""
    if not isinstance(obj, dict):
        raise UserError(f"{source}: malformed metrics file (expected a JSON object)")
    for key in ("model", "task", "method"):
        if not isinstance(obj.get(key), str) or not obj[key]:
            raise UserError(f"{source}: malformed metrics file (missing or non-string {key!r})")
    if not isinstance(obj.get("budget"), int) or isinstance(obj["budget"], bool):
        raise UserError(f"{source}: malformed metrics file ('budget' must be an integer, got {obj.get('budget')!r})")
    _check_scores(obj.get("original"), f"{source}: 'original'")
    conditions = obj.get("conditions")
    if not isinstance(conditions, dict):
        raise UserError(f"{source}: malformed metrics file (missing 'conditions' object)")
    for name, scores in conditions.items():
        _check_scores(scores, f"{source}: condition {name!r}")
        direction = name.split("/")[0]
        if direction in DIRECTIONS:
            _check_stored(effect(obj["original"], scores, direction), scores, f"{source}: condition {name!r}")


def _check_scores(scores: Any, where: str) -> None:
    if not isinstance(scores, dict):
        raise UserError(f"{where} is not an object with 'acc' and 'comprehension'")
    for key in ("acc", "comprehension"):
        value = scores.get(key)
        if not _is_number(value) or not 0 <= value <= 1:
            raise UserError(f"{where}: {key!r} must be a fraction in 0..1, got {value!r}")


def _check_stored(computed: dict, stored: dict, where: str) -> None:
    """Stored rac/rcc/fail are optional, but when present they must match metrics.effect (catches % vs fraction)."""
    for key in ("rac", "rcc"):
        if key in stored and not (
            _is_number(stored[key]) and math.isclose(stored[key], computed[key], rel_tol=0.01, abs_tol=0.1)
        ):
            raise UserError(f"{where}: stored {key} {stored[key]!r} disagrees with {computed[key]:.3f} "
                            f"recomputed from acc/comprehension")
    if "fail" in stored and stored["fail"] is not computed["fail"]:
        raise UserError(f"{where}: stored fail {stored['fail']!r} disagrees with the recomputed {computed['fail']}")


def load_paper_numbers() -> dict:
    """The paper's printed cells (see paper_numbers.json "_notes" for how they were transcribed)."""
    return json.loads(PAPER_FILE.read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------------------------- table model

@dataclass
class Cell:
    text: str                                   # "53.3/64.0", "Fail" or "–"
    rank_key: tuple[float, float] | None = None  # displayed (RAC, RCC); None: not ranked (Fail, missing, paper)
    mark: str = ""                              # "best" | "second" | ""
    paper: str | None = None                    # the paper's cell, printed beside ours when side_by_side


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


def effect_cell(value: dict | None, paper: str | None = None) -> Cell:
    """One "RAC/RCC" cell from an `effect` / `average_effect` result (None: no metrics, printed "–")."""
    if value is None:
        return Cell(MISSING, paper=paper)
    if value["fail"]:
        return Cell("Fail", paper=paper)
    rac, rcc = _one_decimal(value["rac"]), _one_decimal(value["rcc"])
    return Cell(f"{_show(rac)}/{_show(rcc)}", rank_key=(rac, rcc), paper=paper)


def _one_decimal(value: float) -> float:
    """Round as the cell prints (so ties are judged on what the reader sees)."""
    return value if math.isinf(value) else float(f"{value:.1f}") + 0.0  # + 0.0 turns -0.0 into 0.0


def _show(value: float) -> str:
    return "∞" if value == math.inf else f"{value:.1f}"


def mark_best(table: Table) -> None:
    """Bold the best and underline the second best cell per column, by RAC then RCC, among non-Fail cells.

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
            keys = sorted({c.rank_key for c in cells if c.rank_key is not None and c.rank_key != (0.0, 0.0)},
                          reverse=True)
            for cell in cells:
                if keys and cell.rank_key == keys[0]:
                    cell.mark = "best"
                elif len(keys) > 1 and cell.rank_key == keys[1]:
                    cell.mark = "second"


# ----------------------------------------------------------------------------------------------- helpers

def _ordered(values: Iterable[str], order: Iterable[str]) -> list[str]:
    """Known names in the paper's order, then any others alphabetically."""
    present = set(values)
    known = [v for v in order if v in present]
    return known + sorted(present - set(known))


def _condition(method: str, direction: str, part: str | None = None) -> str:
    """Table 1 / Table 7: NeuronLLM and common neurons use both sets; baselines only have good neurons."""
    if part is None:
        part = "both" if method in ("cni", "common") else "good"
    return f"{direction}/{part}"


def _effect_of(m: dict | None, condition: str) -> dict | None:
    if m is None or condition not in m["conditions"]:
        return None
    return effect(m["original"], m["conditions"][condition], condition.split("/")[0])


def _average(values: list[dict | None], direction: str) -> dict | None:
    """Average over the table's tasks; "–" when any task is missing, so averages stay comparable across rows."""
    if not values or any(v is None for v in values):
        return None
    return average_effect(values, direction)  # type: ignore[arg-type]


def _paper_model(model_id: str, paper: dict) -> str | None:
    for name, hf_id in paper["hf_ids"].items():
        if hf_id.lower() == model_id.lower():
            return name
    return None


def _dig(tree: Any, *keys: str) -> str | None:
    for key in keys:
        if not isinstance(tree, dict) or key not in tree:
            return None
        tree = tree[key]
    return tree if isinstance(tree, str) else None


def _pick_budget(metrics: list[dict], budget: int | None, what: str) -> int:
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


def _values(metrics: list[dict], key: str) -> str:
    found = sorted({str(m[key]) for m in metrics if m.get(key) is not None})
    return ", ".join(found) if found else "n/a"


def _label(metrics: list[dict]) -> str:
    """The model's display name (its id when the files carry no model_label)."""
    labels = _values(metrics, "model_label")
    return labels if labels != "n/a" else _values(metrics, "model")


def _percent_pair(a: float, b: float) -> str:
    return f"{100 * a:.1f}/{100 * b:.1f}"


def caption(metrics: list[dict], tasks: list[str], config: str | Path | None = None) -> str:
    """What produced a table: model, answer format, data, instances, seed, steps, budgets, config, and the
    unintervened Acc/Com per task (the baseline every RAC/RCC is relative to)."""
    parts = [
        f"Model: {_label(metrics)} [{_values(metrics, 'model')}]",
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
        pairs = sorted({_percent_pair(m["original"]["acc"], m["original"]["comprehension"])
                        for m in metrics if m["task"] == task})
        if pairs:
            originals.append(f"{TASKS.get(task, task)} {' or '.join(pairs)}")
    parts.append("original (unintervened) Acc/Com %: " + ", ".join(originals))
    return "; ".join(parts) + "."


def _side_note(paper_name: str | None) -> str:
    return f" Cells: ours | paper ({paper_name}, as printed)." if paper_name else ""


def _groups_of(models_metrics: list[dict]) -> list[tuple[str, list[dict]]]:
    by_model: dict[str, list[dict]] = {}
    for m in models_metrics:
        by_model.setdefault(m["model"], []).append(m)
    return sorted(by_model.items())


def _reference_title(what: str, paper: dict, model: str = PAPER_REFERENCE_MODEL) -> str:
    return (f"Paper's numbers for {what}: {model} ({paper['hf_ids'][model]}), a different model from ours; "
            f"for reference only")


PAPER_CAPTION = "Source: the paper's tables (neuronllm/paper_numbers.json); cells RAC/RCC % as printed."


# ----------------------------------------------------------------------------------------------- Table 1

TABLE1_METHODS = ("cni", "tn", "qrnca", "kn", "act", "random")


def table1(metrics: list[dict], *, budget: int | None = None, config: str | Path | None = None) -> list[Table]:
    """Methods x tasks x {Deg, Enh} + Average, one table per model (paper Table 1)."""
    paper = load_paper_numbers()
    relevant = [m for m in metrics if m["method"] != "common"]
    if not relevant:
        raise UserError("no metrics for Table 1 (methods cni, tn, qrnca, kn, act, random) were given")
    k = _pick_budget(relevant, budget, "Table 1")
    tables, needs_reference = [], False
    for model, ms in _groups_of([m for m in relevant if m["budget"] == k]):
        paper_name = _paper_model(model, paper)
        needs_reference |= paper_name is None
        tables.append(_table1_for(model, ms, paper, paper_name, config))
    if needs_reference:
        tables.append(paper_table1(paper))
    return tables


def _table1_for(model: str, ms: list[dict], paper: dict, paper_name: str | None, config) -> Table:
    index = {(m["task"], m["method"]): m for m in ms}
    tasks = _ordered((m["task"] for m in ms), TASKS)
    methods = _ordered((m["method"] for m in ms), TABLE1_METHODS)
    table = Table(
        title=f"Table 1: RAC/RCC (%) of {_label(ms)}, K = {ms[0]['budget']}",
        caption=caption(ms, tasks, config) + _side_note(paper_name),
        row_header=["Method"],
        groups=[(TASKS.get(t, t), ["Deg", "Enh"]) for t in tasks] + [("Average", ["Deg", "Enh"])],
        side_by_side=paper_name is not None,
    )
    paper_rows = paper["table1"].get(paper_name, {}) if paper_name else {}
    for method in methods:
        label = METHODS.get(method, method)
        cells, per_direction = [], {"deg": [], "enh": []}
        for task in tasks:
            for direction in DIRECTIONS:
                value = _effect_of(index.get((task, method)), _condition(method, direction))
                per_direction[direction].append(value)
                cells.append(effect_cell(value, _dig(paper_rows, label, TASKS.get(task, task), DIRECTIONS[direction])))
        for direction in DIRECTIONS:
            cells.append(effect_cell(_average(per_direction[direction], direction),
                                     _dig(paper_rows, label, "Average", DIRECTIONS[direction])))
        table.rows.append(Row([label], cells))
    mark_best(table)
    return table


def paper_table1(paper: dict, model: str = PAPER_REFERENCE_MODEL) -> Table:
    columns = ["NER", "Chunking", "Sentiment", "Commonsense", "Average"]
    table = Table(_reference_title("Table 1", paper, model), PAPER_CAPTION, ["Method"],
                  [(c, ["Deg", "Enh"]) for c in columns], rank=False)
    for label, row in paper["table1"][model].items():
        table.rows.append(Row([label], [Cell(row[c][d]) for c in columns for d in ("Deg", "Enh")]))
    return table


# ----------------------------------------------------------------------------------------------- Table 5

TABLE5_TASKS = {"ner": "NER", "chunking": "Chunking", "sentiment": "Sentiment", "commonsense": "ComSense"}


def table5(metrics: list[dict], *, budget: int | None = None, config: str | Path | None = None) -> list[Table]:
    """Common ability neurons (method "common"): rows Deg/Enh, columns tasks + AVERAGE (paper Table 5)."""
    paper = load_paper_numbers()
    relevant = [m for m in metrics if m["method"] == "common"]
    if not relevant:
        raise UserError("no metrics for Table 5 (method 'common') were given")
    k = _pick_budget(relevant, budget, "Table 5")
    tables, needs_reference = [], False
    for model, ms in _groups_of([m for m in relevant if m["budget"] == k]):
        paper_name = _paper_model(model, paper)
        needs_reference |= paper_name is None
        index = {m["task"]: m for m in ms}
        tasks = _ordered(index, TASKS)
        table = Table(
            title=f"Table 5: common ability neurons, RAC/RCC (%) of {_label(ms)}, K = {k}",
            caption=caption(ms, tasks, config) + _side_note(paper_name),
            row_header=["Operation"],
            groups=[("", [TASKS.get(t, t) for t in tasks] + ["AVERAGE"])],
            side_by_side=paper_name is not None,
            rank=False,  # rows are Deg vs Enh: nothing to rank against each other
        )
        paper_rows = paper["table5"].get(paper_name, {}) if paper_name else {}
        for direction, label in DIRECTIONS.items():
            values = [_effect_of(index.get(t), _condition("common", direction)) for t in tasks]
            cells = [effect_cell(v, _dig(paper_rows, label, TABLE5_TASKS.get(t, t))) for v, t in zip(values, tasks)]
            cells.append(effect_cell(_average(values, direction), _dig(paper_rows, label, "AVERAGE")))
            table.rows.append(Row([label], cells))
        tables.append(table)
    if needs_reference:
        tables.append(paper_table5(paper))
    return tables


def paper_table5(paper: dict, model: str = PAPER_REFERENCE_MODEL) -> Table:
    columns = ["NER", "Chunking", "Sentiment", "ComSense", "AVERAGE"]
    table = Table(_reference_title("Table 5", paper, model), PAPER_CAPTION, ["Operation"], [("", columns)],
                  rank=False)
    for label, row in paper["table5"][model].items():
        table.rows.append(Row([label], [Cell(row[c]) for c in columns]))
    return table


# ----------------------------------------------------------------------------------------------- ablation

def ablation(metrics: list[dict], *, budget: int | None = None, config: str | Path | None = None) -> list[Table]:
    """Good / Bad / Both for NeuronLLM, TN-enabled, QRNCA-enabled (rows method x {Deg, Enh})."""
    paper = load_paper_numbers()
    relevant = [m for m in metrics if m["method"] in ABLATION_METHODS]
    if not relevant:
        raise UserError("no metrics for the ablation (methods cni, tn, qrnca) were given")
    k = _pick_budget(relevant, budget, "ablation")
    tables, needs_reference = [], False
    for model, ms in _groups_of([m for m in relevant if m["budget"] == k]):
        paper_name = _paper_model(model, paper)
        needs_reference |= paper_name is None
        tables.append(_ablation_for(ms, k, paper, paper_name, config))
    if needs_reference:
        tables.append(paper_ablation(paper))
    return tables


def _ablation_for(ms: list[dict], k: int, paper: dict, paper_name: str | None, config) -> Table:
    index = {(m["task"], m["method"]): m for m in ms}
    tasks = _ordered((m["task"] for m in ms), TASKS)
    leaves = [p.capitalize() for p in PARTS]
    table = Table(
        title=f"Ablation: good / bad / both neurons, RAC/RCC (%) of {_label(ms)}, K = {k}",
        caption=caption(ms, tasks, config) + _side_note(paper_name),
        row_header=["Method", "Eval"],
        groups=[(TASKS.get(t, t), leaves) for t in tasks] + [("AVERAGE", leaves)],
        side_by_side=paper_name is not None,
    )
    paper_rows = paper["ablation"].get(paper_name, {}) if paper_name else {}
    for method in _ordered((m["method"] for m in ms), ABLATION_METHODS):
        label = ABLATION_METHODS[method]
        for direction, eval_label in DIRECTIONS.items():
            per_part: dict[str, list] = {p: [] for p in PARTS}
            cells = []
            for task in tasks:
                for part in PARTS:
                    value = _effect_of(index.get((task, method)), _condition(method, direction, part))
                    per_part[part].append(value)
                    cells.append(effect_cell(value, _dig(paper_rows, label, eval_label, TASKS.get(task, task),
                                                         part.capitalize())))
            for part in PARTS:
                cells.append(effect_cell(_average(per_part[part], direction),
                                         _dig(paper_rows, label, eval_label, "AVERAGE", part.capitalize())))
            table.rows.append(Row([label, eval_label], cells, rank_group=direction))
    mark_best(table)
    return table


def paper_ablation(paper: dict, model: str = PAPER_REFERENCE_MODEL) -> Table:
    columns = ["NER", "Chunking", "Sentiment", "Commonsense", "AVERAGE"]
    leaves = ["Good", "Bad", "Both"]
    table = Table(_reference_title("the ablation", paper, model), PAPER_CAPTION, ["Method", "Eval"],
                  [(c, leaves) for c in columns], rank=False)
    for label, by_eval in paper["ablation"][model].items():
        for eval_label, row in by_eval.items():
            table.rows.append(Row([label, eval_label], [Cell(row[c][p]) for c in columns for p in leaves]))
    return table


# ----------------------------------------------------------------------------------------------- Table 7

def table7(metrics: list[dict], *, task: str | None = None, config: str | Path | None = None) -> list[Table]:
    """Budget sensitivity: methods x budgets x {Enh, Deg} for one task (default commonsense, as in the paper).

    All budgets present in the metrics are shown (the paper's are 10, 25, 50, 100, 150, 200, 250, 500).
    """
    paper = load_paper_numbers()
    relevant = [m for m in metrics if m["method"] in TABLE7_METHODS]
    if not relevant:
        raise UserError("no metrics for Table 7 (methods cni, tn, qrnca) were given")
    tasks = sorted({m["task"] for m in relevant})
    if task is None:
        if "commonsense" in tasks or len(tasks) == 1:
            task = "commonsense" if "commonsense" in tasks else tasks[0]
        else:
            raise UserError(f"Table 7 needs one task: the metrics have {tasks} (choose one with task=...)")
    elif task not in tasks:
        hint = difflib.get_close_matches(task, tasks, n=1)
        raise UserError(f"no Table 7 metrics for task {task!r}: have {tasks}"
                        + (f" (did you mean {hint[0]!r}?)" if hint else ""))
    reference = paper["table7"]
    tables, needs_reference = [], False
    for model, ms in _groups_of([m for m in relevant if m["task"] == task]):
        paper_name = _paper_model(model, paper)
        compare = paper_name == reference["model"] and TASKS.get(task) == reference["task"]
        needs_reference |= not compare
        tables.append(_table7_for(ms, task, reference if compare else None, config))
    if needs_reference:
        tables.append(paper_table7(paper))
    return tables


def _table7_for(ms: list[dict], task: str, reference: dict | None, config) -> Table:
    index = {(m["budget"], m["method"]): m for m in ms}
    budgets = sorted({m["budget"] for m in ms})
    table = Table(
        title=f"Table 7: intervention budget K, RAC/RCC (%) of {_label(ms)} on {TASKS.get(task, task)}",
        caption=caption(ms, [task], config) + _side_note(reference["model"] if reference else None),
        row_header=["Method"],
        groups=[(f"K = {b}", ["Enh", "Deg"]) for b in budgets],
        side_by_side=reference is not None,
    )
    for method in _ordered((m["method"] for m in ms), TABLE7_METHODS):
        label = METHODS[method]
        cells = []
        for budget in budgets:
            for direction in ("enh", "deg"):
                value = _effect_of(index.get((budget, method)), _condition(method, direction))
                paper_cell = (_dig(reference["budgets"], str(budget), label, DIRECTIONS[direction])
                              if reference else None)
                cells.append(effect_cell(value, paper_cell))
        table.rows.append(Row([label], cells))
    mark_best(table)
    return table


def paper_table7(paper: dict) -> Table:
    reference = paper["table7"]
    budgets = list(reference["budgets"])
    title = (f"Paper's numbers for Table 7: {reference['model']} ({paper['hf_ids'][reference['model']]}) on "
             f"{reference['task']}, a different model or task from ours; for reference only")
    table = Table(title, PAPER_CAPTION, ["Method"], [(f"K = {b}", ["Enh", "Deg"]) for b in budgets], rank=False)
    for label in ("NeuronLLM", "TN", "QRNCA"):
        cells = [Cell(reference["budgets"][b][label][d]) for b in budgets for d in ("Enh", "Deg")]
        table.rows.append(Row([label], cells))
    return table


# ----------------------------------------------------------------------------------------------- rendering

BUILDERS = {"table1": table1, "table5": table5, "ablation": ablation, "table7": table7}


def build_tables(kind: str, metrics: list[dict], *, budget: int | None = None, task: str | None = None,
                 config: str | Path | None = None) -> list[Table]:
    if kind not in BUILDERS:
        hint = difflib.get_close_matches(kind, KINDS, n=1)
        raise UserError(f"unknown report {kind!r}: expected one of {', '.join(KINDS)}"
                        + (f" (did you mean {hint[0]!r}?)" if hint else ""))
    if kind == "table7":
        return table7(metrics, task=task, config=config)
    return BUILDERS[kind](metrics, budget=budget, config=config)


def _leaf_labels(table: Table) -> list[str]:
    return [f"{group} {leaf}".strip() for group, leaves in table.groups for leaf in leaves]


def _md_escape(text: str) -> str:
    return text.replace("|", "\\|")


def _md_cell(cell: Cell, side_by_side: bool) -> str:
    text = {"best": f"**{cell.text}**", "second": f"<u>{cell.text}</u>"}.get(cell.mark, cell.text)
    if side_by_side:
        text = f"{text} | {cell.paper or MISSING}"
    return _md_escape(text)


def to_markdown(tables: list[Table]) -> str:
    """GitHub Markdown: one section per table; column groups are flattened into "NER Deg" headers."""
    out = []
    for table in tables:
        header = table.row_header + _leaf_labels(table)
        align = ["---"] * len(table.row_header) + [":---:"] * (len(header) - len(table.row_header))
        lines = ["| " + " | ".join(_md_escape(h) for h in header) + " |", "|" + "|".join(align) + "|"]
        for row in table.rows:
            cells = [_md_escape(label) for label in row.labels] + [_md_cell(c, table.side_by_side) for c in row.cells]
            lines.append("| " + " | ".join(cells) + " |")
        out.append(f"## {table.title}\n\n*{table.caption}*\n\n" + "\n".join(lines) + "\n")
    return "\n".join(out)


LATEX_SPECIAL = {"\\": r"\textbackslash{}", "&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_",
                 "{": r"\{", "}": r"\}", "~": r"\textasciitilde{}", "^": r"\textasciicircum{}",
                 "–": "--", "∞": r"$\infty$", "|": r"\textbar{}"}


def latex_escape(text: str) -> str:
    return "".join(LATEX_SPECIAL.get(ch, ch) for ch in text)


def _tex_cell(cell: Cell, side_by_side: bool) -> str:
    text = latex_escape(cell.text)
    text = {"best": rf"\textbf{{{text}}}", "second": rf"\underline{{{text}}}"}.get(cell.mark, text)
    if side_by_side:
        text = rf"{text} \textbar{{}} {latex_escape(cell.paper or MISSING)}"
    return text


def _tex_table(table: Table) -> str:
    n_labels = len(table.row_header)
    n_values = sum(len(leaves) for _, leaves in table.groups)
    lines = [r"\begin{table}[htbp]", r"\centering", r"\small",
             rf"\caption{{{latex_escape(table.title)}. {latex_escape(table.caption)}}}",
             rf"\begin{{tabular}}{{{'l' * n_labels}{'c' * n_values}}}", r"\toprule"]
    if any(group for group, _ in table.groups):
        heads, rules, column = [""] * n_labels, [], n_labels + 1
        for group, leaves in table.groups:
            heads.append(rf"\multicolumn{{{len(leaves)}}}{{c}}{{{latex_escape(group)}}}")
            rules.append(rf"\cmidrule(lr){{{column}-{column + len(leaves) - 1}}}")
            column += len(leaves)
        lines += [" & ".join(heads) + r" \\", "".join(rules)]
        leaf_row = [latex_escape(h) for h in table.row_header] + [latex_escape(l) for _, ls in table.groups for l in ls]
    else:
        leaf_row = [latex_escape(h) for h in table.row_header + _leaf_labels(table)]
    lines += [" & ".join(leaf_row) + r" \\", r"\midrule"]
    for row in table.rows:
        cells = [latex_escape(label) for label in row.labels] + [_tex_cell(c, table.side_by_side) for c in row.cells]
        lines.append(" & ".join(cells) + r" \\")
    lines += [r"\bottomrule", r"\end{tabular}", r"\end{table}"]
    return "\n".join(lines) + "\n"


def to_latex(tables: list[Table]) -> str:
    """LaTeX table environments (booktabs rules): bold = best, underline = second best."""
    header = "% Generated by neuronllm.report. Needs \\usepackage{booktabs}.\n"
    return header + "\n".join(_tex_table(table) for table in tables)


def write_report(kind: str, metrics_paths: Iterable[str | Path], out_md: str | Path, out_tex: str | Path, *,
                 budget: int | None = None, task: str | None = None, config: str | Path | None = None) -> None:
    """Load metrics files, build the `kind` tables and write Markdown and LaTeX atomically."""
    tables = build_tables(kind, load_metrics(metrics_paths), budget=budget, task=task, config=config)
    write_text(out_md, to_markdown(tables))
    write_text(out_tex, to_latex(tables))


# ----------------------------------------------------------------------------------------------- figure

def layer_figure(neuron_set_paths: dict[str, str | Path], out_png: str | Path, out_pdf: str | Path) -> None:
    """Per task, how many good (up) and bad (down) neurons each layer holds: where task ability lives."""
    from matplotlib.figure import Figure  # lazy: matplotlib is slow to import and only the figure needs it
    from matplotlib.ticker import FuncFormatter

    from neuronllm.neurons import NeuronSet

    if not neuron_set_paths:
        raise UserError("layer figure: no neuron sets given")
    tasks = _ordered(neuron_set_paths, TASKS)
    figure = Figure(figsize=(7, 2.2 * len(tasks)), layout="constrained")
    axes = figure.subplots(len(tasks), 1, squeeze=False)[:, 0]
    for axis, task in zip(axes, tasks):
        neuron_set = NeuronSet.load(neuron_set_paths[task])
        good, bad = layer_counts(neuron_set)
        layers = range(len(good))
        axis.bar(layers, good, color="tab:green", label=f"good ({sum(good)})")
        axis.bar(layers, [-b for b in bad], color="tab:red", label=f"bad ({sum(bad)})")
        axis.axhline(0, color="black", linewidth=0.6)
        provenance = neuron_set.provenance
        detail = ", ".join(f"{key} {provenance[key]}" for key in ("method", "budget") if key in provenance)
        axis.set_title(f"{TASKS.get(task, task)}" + (f" ({detail})" if detail else ""), fontsize=10)
        axis.set_ylabel("neurons (bad below 0)")
        axis.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{abs(value):g}"))
        axis.legend(loc="upper right", fontsize=8)
    axes[-1].set_xlabel("layer")
    for path, fmt in ((out_png, "png"), (out_pdf, "pdf")):
        with atomic_path(path) as tmp:
            figure.savefig(tmp, format=fmt, dpi=150)


def layer_counts(neuron_set: Any) -> tuple[list[int], list[int]]:
    """Good and bad neurons per layer, over all layers of the model the set was found on."""
    n_layers = max([len(neuron_set.neuron_counts)] + [n.layer + 1 for n in neuron_set.good + neuron_set.bad])
    good, bad = [0] * n_layers, [0] * n_layers
    for neuron in neuron_set.good:
        good[neuron.layer] += 1
    for neuron in neuron_set.bad:
        bad[neuron.layer] += 1
    return good, bad
