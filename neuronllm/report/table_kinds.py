"""The kinds of table: which methods' metrics files each reads, its rows, its column leaves, and where
the paper's own numbers for a cell are (tables.py builds every kind with one builder)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from neuronllm.methods import METHOD_NAMES, ablation_methods, budget_table_methods, label, table1_part

PAPER_ORDER = ("ner", "chunking", "sentiment", "commonsense")  # the paper's column order; other tasks follow by name


@functools.cache
def column_headers() -> dict[str, str]:
    """{AQUA task: header} in the paper's column order, from each task's spec (`label:`): one place per task."""
    from neuronllm.tasks.lm_eval_tasks import aqua_task_names, task_display_labels

    labels = task_display_labels()
    names = aqua_task_names()
    return {
        name: labels[name]
        for name in [*(n for n in PAPER_ORDER if n in names), *(n for n in names if n not in PAPER_ORDER)]
    }


@functools.cache
def general_headers() -> dict[str, str]:
    """{general task: header} from each general task's YAML (`metadata: {label:}`)."""
    from neuronllm.tasks.lm_eval_tasks import general_task_names, task_display_labels

    labels = task_display_labels()
    return {name: labels[name] for name in general_task_names()}


PAPER_TASKS = {"table5": {"commonsense": "ComSense"}}  # the paper's Table 5 abbreviates one header
DIRECTIONS = {"deg": "Deg", "enh": "Enh"}
PARTS = ("good", "bad", "both")
DEFAULT_BUDGET = 100  # the paper's Table 1 budget (Table 7's K = 100 column repeats its Commonsense cells)
PAPER_REFERENCE_MODEL = "LLaMA 2-7B"
PAPER_CAPTION = "Source: the paper's tables (neuronllm/report/paper_numbers.json); cells RAC/RCC % as printed."


@dataclass(frozen=True)
class RowSpec:
    labels: tuple[str, ...]
    method: str
    direction: str | None = None  # set by the row (Table 5, ablation) or by the leaf (Table 1, 7)
    rank_group: str = ""
    part: str | None = None  # the part the row changes; None: the leaf's, else the method's Table 1 part


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


EQUAL_BUDGET_LABEL = "{label}, K good (equal budget)"


def _table1_rows(methods: list[str]) -> list[RowSpec]:
    """Every method's row, and after a method that changes K good + K bad neurons the same method on its
    K good neurons alone: the equal-budget comparison with the baselines, which change K."""
    rows = []
    for m in methods:
        rows.append(RowSpec((label(m),), m))
        if table1_part(m) == "both":
            rows.append(RowSpec((EQUAL_BUDGET_LABEL.format(label=label(m)),), m, part="good"))
    return rows


def condition_of(row: RowSpec, leaf: Leaf) -> str:
    """The condition key ("deg/both", ...) a row's cell under a leaf reads."""
    return f"{row.direction or leaf.direction}/{row.part or leaf.part or table1_part(row.method)}"


def _direction_rows(methods: list[str]) -> list[RowSpec]:
    return [RowSpec((DIRECTIONS[d],), "common", d) for d in DIRECTIONS]


def _ablation_rows(methods: list[str]) -> list[RowSpec]:
    labels = ablation_methods()
    return [RowSpec((labels[m], DIRECTIONS[d]), m, d, rank_group=d) for m in methods for d in DIRECTIONS]


KINDS: dict[str, Kind] = {
    "table1": Kind(
        "table1",
        "Table 1",
        "Table 1: RAC/RCC (%) of {model}, K = {k}",
        METHOD_NAMES,
        ("Method",),
        (Leaf("Deg", "deg"), Leaf("Enh", "enh")),
        _table1_rows,
        paper_path=lambda row, column, leaf: () if row.part else (label(row.method), column, leaf.label),
        null_rows=(
            RowSpec(("Null: K random neurons",), "null:good"),
            RowSpec(("Null: K + K random neurons",), "null:both"),
        ),
    ),
    "table5": Kind(
        "table5",
        "Table 5",
        "Table 5: common ability neurons, RAC/RCC (%) of {model}, K = {k}",
        ("common",),
        ("Operation",),
        (Leaf(""),),
        _direction_rows,
        average="AVERAGE",
        rank=False,
        paper_path=lambda row, column, leaf: (row.labels[0], column),
        null_rows=(RowSpec(("Null Deg",), "null:both", "deg"), RowSpec(("Null Enh",), "null:both", "enh")),
    ),
    "ablation": Kind(
        "ablation",
        "the ablation",
        "Ablation: good / bad / both neurons, RAC/RCC (%) of {model}, K = {k}",
        tuple(ablation_methods()),
        ("Method", "Eval"),
        tuple(Leaf(p.capitalize(), part=p) for p in PARTS),
        _ablation_rows,
        average="AVERAGE",
        paper_path=lambda row, column, leaf: (row.labels[0], row.labels[1], column, leaf.label),
        null_rows=(RowSpec(("Null", "Deg"), "null:", "deg", "null"), RowSpec(("Null", "Enh"), "null:", "enh", "null")),
    ),
    "table7": Kind(
        "table7",
        "Table 7",
        "Table 7: intervention budget K, RAC/RCC (%) of {model} on {task}",
        budget_table_methods(),
        ("Method",),
        (Leaf("Enh", "enh"), Leaf("Deg", "deg")),
        _method_rows,
        per_budget=True,
        average=None,
        paper_path=lambda row, column, leaf: (column.removeprefix("K = "), label(row.method), leaf.label),
    ),
}
