"""Tables (Markdown + LaTeX) and figures from metrics files and neuron sets.

registry.py  every kind of `neuronllm report`: its writer, required options, caption and category
inputs.py   metrics files (checked against neuronllm/analysis/metrics.py) and the paper's numbers
cells.py    the table model and how an effect becomes a cell
table_kinds.py  the kinds of table (table1, table5, ablation, table7): methods, rows, leaves, paper cells
values.py   what a cell reads from a metrics file: effects, averages, the null band, the caption
tables.py   one builder for every kind of table
diagnostics.py  Table 1b (change of P(gold)) and 1c (answer bias)
seeds.py    several seeds of a cell: the mean and the spread
tidy.py     results/metrics.csv: every number, one row each
specificity.py  the specificity matrix (whose neurons x evaluated task) and its heatmap
render.py   Markdown (tabulate) and LaTeX (pandas Styler)
figure.py   the layer figure
forest.py   Table 1 as a forest plot (effects, intervals, null band, marks)

The names below are imported when first used (PEP 562): the CLI and the Snakefile read the registry at
every start without importing scipy and matplotlib.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neuronllm.report.cells import Table

# {name: the module that defines it}
_LAZY = {
    "MISSING": "cells",
    "Cell": "cells",
    "Row": "cells",
    "Table": "cells",
    "effect_cell": "cells",
    "mark_best": "cells",
    "layer_counts": "figure",
    "layer_figure": "figure",
    "load_metrics": "inputs",
    "load_paper_numbers": "inputs",
    "validate_metrics": "inputs",
    "to_latex": "render",
    "to_markdown": "render",
    "write_specificity": "specificity",
    "KINDS": "table_kinds",
    "column_headers": "table_kinds",
    "build_tables": "tables",
    "caption": "tables",
    "write_csv": "tidy",
}

__all__ = [*_LAZY, "ablation", "table1", "table5", "table7", "write_report"]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(f"neuronllm.report.{_LAZY[name]}"), name)
    raise AttributeError(f"module 'neuronllm.report' has no attribute {name!r}")


def table1(metrics: list[dict], *, budget: int | None = None, config: str | Path | None = None) -> list[Table]:
    """Methods x tasks x {Deg, Enh} + Average, one table per model (paper Table 1)."""
    from neuronllm.report.tables import build_tables

    return build_tables("table1", metrics, budget=budget, config=config)


def table5(metrics: list[dict], *, budget: int | None = None, config: str | Path | None = None) -> list[Table]:
    """Common ability neurons (method "common"): rows Deg/Enh, columns tasks + AVERAGE (paper Table 5)."""
    from neuronllm.report.tables import build_tables

    return build_tables("table5", metrics, budget=budget, config=config)


def ablation(metrics: list[dict], *, budget: int | None = None, config: str | Path | None = None) -> list[Table]:
    """Good / Bad / Both for NeuronLLM, TN-enabled, QRNCA-enabled (rows method x {Deg, Enh})."""
    from neuronllm.report.tables import build_tables

    return build_tables("ablation", metrics, budget=budget, config=config)


def table7(metrics: list[dict], *, task: str | None = None, config: str | Path | None = None) -> list[Table]:
    """Budget sensitivity: methods x budgets x {Enh, Deg} for one task (default commonsense, as in the paper)."""
    from neuronllm.report.tables import build_tables

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
    from neuronllm.atomic import write_text
    from neuronllm.report.inputs import load_metrics
    from neuronllm.report.render import to_latex, to_markdown
    from neuronllm.report.tables import build_tables

    tables = build_tables(kind, load_metrics(metrics_paths), budget=budget, task=task, config=config)
    if forest is not None:
        from neuronllm.report.forest import forest_figure

        forest_figure(tables[0], *forest)
    write_text(out_md, to_markdown(tables))
    write_text(out_tex, to_latex(tables))
