"""The layer figure: per task, how many good and bad neurons each layer holds (where task ability lives)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from neuronllm.atomic import atomic_path
from neuronllm.errors import UserError
from neuronllm.report.table_kinds import column_headers
from neuronllm.report.values import ordered


def layer_figure(neuron_set_paths: dict[str, str | Path], out_png: str | Path, out_pdf: str | Path) -> None:
    """Per task, how many good (up) and bad (down) neurons each layer holds: where task ability lives."""
    from matplotlib.figure import Figure  # lazy: matplotlib is slow to import and only the figure needs it
    from matplotlib.ticker import FuncFormatter

    from neuronllm.neurons import NeuronSet

    if not neuron_set_paths:
        raise UserError("layer figure: no neuron sets given")
    tasks = ordered(neuron_set_paths, column_headers())
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
        axis.set_title(f"{column_headers().get(task, task)}" + (f" ({detail})" if detail else ""), fontsize=10)
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
