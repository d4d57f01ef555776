"""The transfer report's figures (the native and other-format effects against the proxy effect, one
dose-response figure per task) and write_transfer, which writes every output of `neuronllm report
transfer`; neuronllm/report/transfer.py computes what they show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from neuronllm.analysis.transfer import MEASURE
from neuronllm.errors import UserError
from neuronllm.methods import PAPER_METHOD
from neuronllm.report.transfer import (
    CSV_COLUMNS,
    FORMAT_LABELS,
    caption,
    compute,
    sweep_frame,
    sweep_summary,
    table_frame,
    tidy_rows,
)


def transfer_figure(result: dict[str, Any], out_png: str | Path, out_pdf: str | Path) -> None:
    """Native (left) and other-format (right) effect against the proxy effect, every row, with intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    main, native, other = result["formats"]
    fig, axes = plt.subplots(1, 2, figsize=(11, 5), constrained_layout=True)
    colours = dict(zip(sorted({r["task"] for r in result["rows"]}), plt.rcParams["axes.prop_cycle"].by_key()["color"]))
    for axis, fmt in zip(axes, (native, other)):
        for r in result["rows"]:
            x, y = r[main], r[fmt]
            if x.get(MEASURE) is None or y.get(MEASURE) is None:
                continue
            xerr = [
                [x[MEASURE] - (x[f"{MEASURE}_low"] or x[MEASURE])],
                [(x[f"{MEASURE}_high"] or x[MEASURE]) - x[MEASURE]],
            ]
            yerr = [
                [y[MEASURE] - (y[f"{MEASURE}_low"] or y[MEASURE])],
                [(y[f"{MEASURE}_high"] or y[MEASURE]) - y[MEASURE]],
            ]
            marker = "o" if r["method"] == PAPER_METHOD else "."
            axis.errorbar(
                x[MEASURE],
                y[MEASURE],
                xerr=xerr,
                yerr=yerr,
                fmt=marker,
                color=colours[r["task"]],
                alpha=0.9 if r["method"] == PAPER_METHOD else 0.4,
                markersize=7 if r["method"] == PAPER_METHOD else 5,
            )
        limits = axis.get_xlim()
        axis.plot(limits, limits, ":", color="grey", linewidth=1)
        axis.axhline(0, color="grey", linewidth=0.5)
        axis.axvline(0, color="grey", linewidth=0.5)
        axis.set_xlabel(f"effect on the AQUA proxies ({main}), signed %")
        axis.set_ylabel(f"effect, {FORMAT_LABELS.get(fmt, fmt)}, signed %")
    for task, colour in colours.items():
        axes[0].plot([], [], "o", color=colour, label=task)
    axes[0].legend(title="big dots: NeuronLLM", fontsize=8)
    fig.suptitle(f"Task or format? {result['model_label']} (dotted: full transfer)")
    fig.savefig(out_png, dpi=130)
    fig.savefig(out_pdf)
    plt.close(fig)


def sweep_figures(result: dict[str, Any], out_dir: str | Path) -> list[Path]:
    """One figure per task: Δacc against the factor, good and bad neurons, AQUA and native, null bands."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frame = sweep_frame(result)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for task in sorted(frame["task"].unique()) if not frame.empty else []:
        fig, axes = plt.subplots(1, 2, figsize=(10, 4), constrained_layout=True, sharey=True)
        for axis, part in zip(axes, ("good", "bad")):
            for fmt, colour in zip(result["formats"][:2], ("tab:blue", "tab:orange")):
                group = frame[(frame.task == task) & (frame.part == part) & (frame.format == fmt)].sort_values("factor")
                if group.empty:
                    continue
                low = (group["delta"] - group["low"].fillna(group["delta"])).to_numpy()
                high = (group["high"].fillna(group["delta"]) - group["delta"]).to_numpy()
                axis.errorbar(
                    group["factor"],
                    group["delta"],
                    yerr=[low, high],
                    fmt="o-",
                    color=colour,
                    label=FORMAT_LABELS.get(fmt, fmt),
                    capsize=3,
                )
                banded = group.dropna(subset=["band_low", "band_high"])
                axis.fill_between(banded["factor"], banded["band_low"], banded["band_high"], color=colour, alpha=0.15)
            axis.axhline(0, color="grey", linewidth=0.5)
            axis.axvline(2, color="grey", linestyle=":", linewidth=1)
            axis.set_title(f"NeuronLLM's {part} neurons ×f")
            axis.set_xlabel("factor f (1 = unmodified, 2 = the paper's excite)")
        axes[0].set_ylabel("accuracy change, pp [95% CI]; shaded: null band")
        axes[0].legend(fontsize=8)
        fig.suptitle(f"Dose-response, {task}, {result['model_label']}")
        path = out_dir / f"{task}.png"
        fig.savefig(path, dpi=130)
        plt.close(fig)
        written.append(path)
    return written


def write_transfer(
    plan_json: str,
    out_md: str,
    out_tex: str,
    out_png: str,
    out_pdf: str,
    out_csv: str,
    sweep_csv: str,
    sweep_dir: str,
    resamples: int = 2000,
) -> None:
    import pandas as pd

    from neuronllm.atomic import atomic_path, write_text

    try:
        plan_config = json.loads(plan_json)
    except json.JSONDecodeError as err:
        raise UserError(f"--plan is not JSON ({err})") from None
    result = compute(plan_config, resamples)
    markdown = table_frame(result, "<br>").to_markdown(index=False)
    text = (
        f"# Task or format? Transfer of the neuron sets\n\n{caption(result)}\n\n{markdown}\n\n"
        f"## Dose-response (NeuronLLM's good or bad neurons alone ×f)\n\n"
        f"Accuracy change in percentage points against the unmodified model in the same format, [95% paired "
        f"interval] (null band of {result['sweep_null_sets']} random sets of the same size ×f); monotone: the "
        f"point estimates never fall (up) or never rise (down) as f grows. Figures: {Path(sweep_dir).name}/TASK.png; "
        f"numbers: {Path(sweep_csv).name}.\n\n{sweep_summary(result)}\n"
    )
    write_text(out_md, text)
    write_text(
        out_tex,
        table_frame(result, "; ").to_latex(
            index=False, caption=caption(result).replace("%", r"\%"), label="tab:transfer"
        ),
    )
    transfer_figure(result, out_png, out_pdf)
    sweep_figures(result, sweep_dir)
    data = plan_config.get("data_files") if isinstance(plan_config.get("data_files"), str) else "local files"
    with atomic_path(out_csv) as tmp:
        pd.DataFrame(tidy_rows(result, data), columns=CSV_COLUMNS).to_csv(tmp, index=False)
    with atomic_path(sweep_csv) as tmp:
        sweep_frame(result).to_csv(tmp, index=False)
