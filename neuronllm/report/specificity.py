"""The specificity matrix: is the control task-level? Rows = whose neurons (a task's NeuronLLM set, or the
common ability neurons) under Deg or Enh, columns = the task evaluated (every AQUA task, and general
tasks: perplexity of plain prose, a short generation task).

A cell is the change in the row's intended direction (positive = the degrader degraded, the enhancer
enhanced), in %:
  AQUA task     the signed relative accuracy change (the quantity RAC is the size of), its 95%
                paired-bootstrap interval, and RAC/RCC as Table 1 prints them;
  general task  the relative change of the task's metric turned into a capability change (perplexity
                up = capability down), signed the same way, with a bootstrap interval over documents.
Task-level control means a large on-target cell (the diagonal) and small off-target cells. Each row's
summary: the on-target change, the mean off-target change over the other AQUA tasks, and the mean over
the general tasks.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np

from neuronllm.analysis.task_metrics import TASK_FORMAT
from neuronllm.errors import UserError
from neuronllm.report.cells import ANSWER_SHIFT, MISSING, Cell, Row, Table, effect_cell
from neuronllm.report.inputs import _load_one
from neuronllm.report.table_kinds import column_headers, general_headers
from neuronllm.report.values import effect_of, model_label, number, ordered

DIRECTION_LABEL = {"deg": "Deg", "enh": "Enh"}
SIGN = {"deg": -1.0, "enh": 1.0}


def _load(paths: Iterable[str | Path]) -> list[dict]:
    out = []
    for path in paths:
        obj = _load_one(Path(path)) if _is_aqua(path) else _read_task_metrics(Path(path))
        if "neurons_from" not in obj:
            raise UserError(f"{path}: not a specificity metrics file (no 'neurons_from')")
        out.append(obj)
    return out


def _is_aqua(path: str | Path) -> bool:
    from neuronllm.atomic import read_json

    try:
        return read_json(path, "metrics").get("format") != TASK_FORMAT
    except UserError:
        return True  # let the AQUA loader report the problem


def _read_task_metrics(path: Path) -> dict:
    from neuronllm.atomic import read_json

    obj = read_json(path, "metrics")
    for key in ("task", "metric", "conditions", "original", "neurons_from"):
        if key not in obj:
            raise UserError(f"{path}: malformed task metrics file (missing {key!r})")
    return {**obj, "_source": str(path)}


def _signed_general(
    entry: dict, higher_is_better: bool, direction: str
) -> tuple[float | None, float | None, float | None]:
    """(value, low, high) of the capability change in the intended direction, in %."""
    turn = (1.0 if higher_is_better else -1.0) * SIGN[direction]
    values = [entry.get(k) for k in ("relative_change", "relative_change_low", "relative_change_high")]
    if values[0] is None:
        return None, None, None
    value, low, high = (turn * v if v is not None else None for v in values)
    if low is not None and high is not None and low > high:
        low, high = high, low
    return value, low, high


def matrix(metrics: list[dict]) -> tuple[list[tuple[str, str]], list[str], dict]:
    """(rows [(source, direction)], columns [task], cells {(source, direction, task): dict})."""

    sources = ordered({m["neurons_from"] for m in metrics}, [*column_headers(), "common"])
    aqua = ordered({m["task"] for m in metrics if m.get("format") != TASK_FORMAT}, column_headers())
    general = ordered({m["task"] for m in metrics if m.get("format") == TASK_FORMAT}, general_headers())
    cells: dict[tuple[str, str, str], dict] = {}
    for m in metrics:
        for key in m["conditions"]:
            direction, part = key.split("/")
            if m.get("format") == TASK_FORMAT:
                value, low, high = _signed_general(m["conditions"][key], m.get("higher_is_better", True), direction)
                cells[(m["neurons_from"], direction, m["task"])] = {
                    "signed": value,
                    "low": low,
                    "high": high,
                    "metric": m["metric"],
                    "raw": m["conditions"][key].get("relative_change"),
                    "original": m["original"]["value"],
                }
            else:
                effect = effect_of(m, key)
                if effect is None:
                    continue
                cells[(m["neurons_from"], direction, m["task"])] = {
                    "signed": effect.get("rac_signed"),
                    "low": effect.get("rac_signed_low"),
                    "high": effect.get("rac_signed_high"),
                    "effect": effect,
                }
    rows = [(s, d) for s in sources for d in ("deg", "enh") if any(k[:2] == (s, d) for k in cells)]
    return rows, aqua + general, cells


def _label(source: str) -> str:
    return "Common" if source == "common" else column_headers().get(source, source)


def specificity_table(metrics: list[dict], config: str | Path | None = None) -> Table:
    rows, columns, cells = matrix(metrics)
    general_tasks = {m["task"] for m in metrics if m.get("format") == TASK_FORMAT}  # the file says its kind
    aqua = [c for c in columns if c not in general_tasks]
    general = [c for c in columns if c in general_tasks]
    headers = [column_headers().get(c, general_headers().get(c, c)) for c in columns]
    aqua_metrics = [m for m in metrics if m.get("format") != TASK_FORMAT]
    table = Table(
        title=f"Specificity: whose neurons x evaluated task, change in the intended direction (%) of "
        f"{model_label(aqua_metrics or metrics)}",
        caption=(
            "Rows: a task's NeuronLLM neurons (or the common ability neurons) under the degrader or the enhancer; "
            "columns: the task evaluated. AQUA columns: RAC/RCC as in Table 1, second line the signed relative "
            "accuracy change with its 95% paired-bootstrap interval (positive = the intended direction), then the "
            "change of balanced accuracy (percentage points, same sign; 'answer shift': accuracy moved the intended "
            "way, balanced accuracy did not). General "
            "columns: the relative change of the task's metric as a capability change (perplexity up = capability "
            "down), signed the same way, with a 95% bootstrap interval over documents. Task-level control: a large "
            "on-target (diagonal) change and small off-target ones."
            + (f" Config: {Path(config).name}." if config else "")
        ),
        row_header=["Neurons of", "Op"],
        groups=[("", headers + ["on-target", "off-target (AQUA mean)", "general (mean)"])],
        rank=False,
    )
    for source, direction in rows:
        row_cells = []
        for column in columns:
            cell = cells.get((source, direction, column))
            if cell is None:
                row_cells.append(Cell(MISSING))
            elif "effect" in cell:
                shown = effect_cell(cell["effect"])
                shown.detail = _interval_text(cell) + _balanced_text(cell["effect"])
                row_cells.append(shown)
            else:
                metric = cell["metric"].replace("_", " ")
                raw = f"{cell['raw']:+.1f}% {metric}" if cell.get("raw") is not None else metric
                row_cells.append(Cell(_signed_text(cell), detail=f"{_interval_text(cell)} ({raw})"))
        on = cells.get((source, direction, source), {}).get("signed")
        off = [
            cells[(source, direction, c)]["signed"]
            for c in aqua
            if c != source and (source, direction, c) in cells and cells[(source, direction, c)]["signed"] is not None
        ]
        gen = [
            cells[(source, direction, c)]["signed"]
            for c in general
            if (source, direction, c) in cells and cells[(source, direction, c)]["signed"] is not None
        ]
        row_cells += [
            Cell(f"{on:+.1f}" if on is not None else MISSING),
            Cell(f"{np.mean(off):+.1f}" if off else MISSING),
            Cell(f"{np.mean(gen):+.1f}" if gen else MISSING),
        ]
        table.rows.append(Row([_label(source), DIRECTION_LABEL[direction]], row_cells))
    return table


def _balanced_text(effect: dict) -> str:
    """ "; balanced −3.1 [−9, 2]": the change of balanced accuracy (percentage points, intended direction
    positive), and the answer-shift flag where accuracy moved the intended way and balanced accuracy did not."""
    if effect.get("balanced_signed") is None:
        return ""
    low, high = effect.get("balanced_signed_low"), effect.get("balanced_signed_high")
    interval = f" [{number(low, 0)}, {number(high, 0)}]" if low is not None and high is not None else ""
    shift = f" {ANSWER_SHIFT}" if (effect.get("answer_shift") or {}).get("rac_signed") else ""
    return f"; balanced {number(effect['balanced_signed'], 1, signed=True)}{interval}{shift}"


def _signed_text(cell: dict) -> str:
    return MISSING if cell.get("signed") is None else number(cell["signed"], 1, signed=True)


def _interval_text(cell: dict) -> str:
    value = _signed_text(cell)
    if cell.get("low") is None or cell.get("high") is None:
        return value
    return f"{value} [{number(cell['low'], 0)}, {number(cell['high'], 0)}]"


def heatmap(metrics: list[dict], out_png: str | Path, out_pdf: str | Path) -> None:
    """Rows x columns of the signed change, diverging colours centred at 0, values written in."""
    from matplotlib.figure import Figure

    from neuronllm.atomic import atomic_path

    rows, columns, cells = matrix(metrics)
    values = np.array(
        [
            [
                np.nan if (cells.get((s, d, c)) or {}).get("signed") is None else cells[(s, d, c)]["signed"]
                for c in columns
            ]
            for s, d in rows
        ],
        dtype=float,
    )
    limit = float(np.nanmax(np.abs(values))) if np.isfinite(values).any() else 1.0
    figure = Figure(figsize=(1.4 + 1.2 * len(columns), 0.9 + 0.45 * len(rows)), layout="constrained")
    axis = figure.subplots()
    image = axis.imshow(values, cmap="RdBu", vmin=-limit, vmax=limit, aspect="auto")
    axis.set_xticks(
        range(len(columns)),
        [column_headers().get(c, general_headers().get(c, c)) for c in columns],
        rotation=30,
        ha="right",
    )
    axis.set_yticks(range(len(rows)), [f"{_label(s)} {DIRECTION_LABEL[d]}" for s, d in rows])
    for i in range(len(rows)):
        for j in range(len(columns)):
            if np.isfinite(values[i, j]):
                axis.text(j, i, f"{values[i, j]:+.0f}", ha="center", va="center", fontsize=8)
    axis.set_xlabel("evaluated task")
    axis.set_ylabel("whose neurons")
    figure.colorbar(image, ax=axis, label="change in the intended direction (%)")
    for path, fmt in ((out_png, "png"), (out_pdf, "pdf")):
        with atomic_path(path) as tmp:
            figure.savefig(tmp, format=fmt, dpi=150)


def write_specificity(
    paths: Iterable[str | Path],
    out_md: str | Path,
    out_tex: str | Path,
    out_pdf: str | Path,
    out_png: str | Path | None = None,
    config: str | Path | None = None,
) -> None:
    from neuronllm.atomic import write_text
    from neuronllm.report.render import to_latex, to_markdown

    metrics = _load(paths)
    if not metrics:
        raise UserError("no specificity metrics were given")
    table = specificity_table(metrics, config)
    write_text(out_md, to_markdown([table]))
    write_text(out_tex, to_latex([table]))
    heatmap(metrics, out_png or Path(out_pdf).with_suffix(".png"), out_pdf)
