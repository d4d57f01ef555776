"""Table 1 as a forest plot (the README's headline figure): per task and Deg/Enh, each method's signed
relative accuracy change (RAC, intended direction positive) with its 95% paired-bootstrap interval,
against the grey band of random neuron sets of the same size (the 95% prediction interval of a new null
draw), with the table's own marks.

It is drawn from the built Table 1 (report/tables.py), not from the metrics files again, so every mark it
shows is the table's: filled = marked † on accuracy after the table's Benjamini-Hochberg step, hollow =
not marked, a cross = an answer shift (accuracy moved, balanced accuracy did not), bold label = the
column's best. Rows without a cell (a method that changed no neuron) are left empty.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from neuronllm.report.cells import Table

MEASURE = "rac_signed"


def _points(table: Table) -> tuple[list[str], list[str], list[list[dict[str, Any] | None]]]:
    """(row labels, column labels 'Task Deg', the cell values per row and column), Average columns left out."""
    pairs = [(group, leaf) for group, leaves in table.groups for leaf in leaves]
    keep = [i for i, (group, _) in enumerate(pairs) if not group.startswith("Average")]
    columns = [f"{group} {leaf}" for group, leaf in pairs]
    rows, labels = [], []
    for row in table.rows:
        if row.rank_group == "null":
            continue
        labels.append(", ".join(label for label in row.labels if label))
        rows.append([_point(row.cells[i]) for i in keep])
    return labels, [columns[i] for i in keep], rows


def _point(cell: Any) -> dict[str, Any] | None:
    value = getattr(cell, "value", None)
    if not value or value.get(MEASURE) is None:
        return None
    band = ((value.get("null") or {}).get(MEASURE)) or {}
    return {
        "effect": value[MEASURE],
        "low": value.get(f"{MEASURE}_low"),
        "high": value.get(f"{MEASURE}_high"),
        "band": (band.get("low"), band.get("high")) if band.get("low") is not None else None,
        "marked": MEASURE in cell.marked,
        "shift": bool((cell.tests.get(MEASURE) or {}).get("answer_shift")),
        "best": cell.mark == "best",
    }


def forest_figure(table: Table, out_png: str | Path, out_pdf: str | Path) -> None:
    """One panel per task and direction, methods down the side; written atomically (PNG and PDF)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from neuronllm.atomic import atomic_path

    labels, columns, rows = _points(table)
    if not rows:
        raise ValueError("Table 1 has no method rows to plot")
    ncols = max(1, len(columns) // 2)
    fig, axes = plt.subplots(2, ncols, figsize=(3.1 * ncols + 1.5, 0.42 * len(labels) * 2 + 2.2), squeeze=False)
    y = list(range(len(labels)))[::-1]
    for c, column in enumerate(columns):
        ax = axes[c % 2][c // 2]
        for r, point in enumerate(row[c] for row in rows):
            if point is None:
                continue
            if point["band"]:
                ax.fill_betweenx([y[r] - 0.4, y[r] + 0.4], *point["band"], color="0.85", lw=0)
            if point["low"] is not None and point["high"] is not None:
                ax.plot([point["low"], point["high"]], [y[r], y[r]], color="0.25", lw=1.2)
            style: dict[str, Any] = {"s": 42, "zorder": 3}
            if point["shift"]:
                style |= {"marker": "x", "color": "tab:orange"}
            elif point["marked"]:
                style |= {"marker": "o", "color": "tab:blue"}
            else:
                style |= {"marker": "o", "facecolors": "white", "edgecolors": "tab:blue"}
            ax.scatter([point["effect"]], [y[r]], **style)
            if point["best"]:
                ax.annotate("best", (point["effect"], y[r]), xytext=(4, 4), textcoords="offset points", fontsize=7)
        ax.axvline(0, color="0.5", lw=0.8, ls="--")
        ax.set_title(column, fontsize=9)
        ax.set_yticks(y)
        ax.set_yticklabels(labels if c // 2 == 0 else [""] * len(labels), fontsize=8)
        ax.tick_params(axis="x", labelsize=7)
        if c % 2 == 1:
            ax.set_xlabel("signed RAC % (intended direction >0)", fontsize=8)
    for extra in range(len(columns), 2 * ncols):
        axes[extra % 2][extra // 2].axis("off")
    fig.suptitle(table.title, fontsize=10)
    fig.text(
        0.5,
        0.005,
        "bar: 95% paired-bootstrap interval; grey: 95% prediction band of random sets of the same size\n"
        "filled: marked † (BH, FDR 2.5%); hollow: not marked; orange ×: answer shift",
        ha="center",
        fontsize=7,
    )
    fig.tight_layout(rect=(0, 0.045, 1, 0.97))
    for path in (out_png, out_pdf):
        with atomic_path(path) as tmp:
            fig.savefig(tmp, dpi=130, format=Path(str(path)).suffix.lstrip(".") or "png")
    plt.close(fig)
