"""Tables (Markdown + LaTeX) and figures from metrics files and neuron sets.

inputs.py   metrics files (checked against neuronllm/analysis/metrics.py) and the paper's numbers
cells.py    the table model and how an effect becomes a cell
kinds.py    the kinds of table (table1, table5, ablation, table7): methods, rows, leaves, paper cells
values.py   what a cell reads from a metrics file: effects, averages, the null band, the caption
tables.py   one builder for every kind of table
diagnostics.py  Table 1b (change of P(gold)) and 1c (answer bias)
seeds.py    several seeds of a cell: the mean and the spread
tidy.py     results/metrics.csv: every number, one row each
specificity.py  the specificity matrix (whose neurons x evaluated task) and its heatmap
render.py   Markdown (tabulate) and LaTeX (pandas Styler)
figure.py   the layer figure
forest.py   Table 1 as a forest plot (effects, intervals, null band, marks)
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from neuronllm.atomic import write_text
from neuronllm.report.cells import MISSING, Cell, Row, Table, effect_cell, mark_best
from neuronllm.report.figure import layer_counts, layer_figure
from neuronllm.report.inputs import load_metrics, load_paper_numbers, validate_metrics
from neuronllm.report.render import to_latex, to_markdown
from neuronllm.report.specificity import write_specificity
from neuronllm.report.tables import KINDS, build_tables, caption, task_labels
from neuronllm.report.tidy import write_csv

__all__ = [
    "KINDS",
    "MISSING",
    "task_labels",
    "Cell",
    "Row",
    "Table",
    "ablation",
    "build_tables",
    "caption",
    "effect_cell",
    "layer_counts",
    "layer_figure",
    "load_metrics",
    "load_paper_numbers",
    "mark_best",
    "table1",
    "table5",
    "table7",
    "to_latex",
    "to_markdown",
    "validate_metrics",
    "write_csv",
    "write_report",
    "write_specificity",
]


def table1(metrics: list[dict], *, budget: int | None = None, config: str | Path | None = None) -> list[Table]:
    """Methods x tasks x {Deg, Enh} + Average, one table per model (paper Table 1)."""
    return build_tables("table1", metrics, budget=budget, config=config)


def table5(metrics: list[dict], *, budget: int | None = None, config: str | Path | None = None) -> list[Table]:
    """Common ability neurons (method "common"): rows Deg/Enh, columns tasks + AVERAGE (paper Table 5)."""
    return build_tables("table5", metrics, budget=budget, config=config)


def ablation(metrics: list[dict], *, budget: int | None = None, config: str | Path | None = None) -> list[Table]:
    """Good / Bad / Both for NeuronLLM, TN-enabled, QRNCA-enabled (rows method x {Deg, Enh})."""
    return build_tables("ablation", metrics, budget=budget, config=config)


def table7(metrics: list[dict], *, task: str | None = None, config: str | Path | None = None) -> list[Table]:
    """Budget sensitivity: methods x budgets x {Enh, Deg} for one task (default commonsense, as in the paper)."""
    return build_tables("table7", metrics, task=task, config=config)


def write_report(
    kind: str,
    metrics_paths: Iterable[str | Path],
    out_md: str | Path,
    out_tex: str | Path,
    *,
    budget: int | None = None,
    task: str | None = None,
    config: str | Path | None = None,
    forest: tuple[str | Path, str | Path] | None = None,
) -> None:
    """Load metrics files, build the `kind` tables and write Markdown and LaTeX atomically; `forest`:
    (PNG, PDF) of the first table as a forest plot (Table 1's headline figure)."""
    tables = build_tables(kind, load_metrics(metrics_paths), budget=budget, task=task, config=config)
    if forest is not None:
        from neuronllm.report.forest import forest_figure

        forest_figure(tables[0], *forest)
    write_text(out_md, to_markdown(tables))
    write_text(out_tex, to_latex(tables))
