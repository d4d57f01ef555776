"""results/transfer.md (+ .tex, figure, tidy CSV rows) and the dose-response curves, from the evaluation
files TransferPlan names (neuronllm/analysis/transfer.py says what every number is; docs/metrics.md, "Transfer").

    neuronllm report transfer --plan PLAN_JSON --out results/transfer.md --latex ... --png ... --pdf ...
        --csv results/transfer.csv --sweep-csv results/dose_response.csv --sweep-dir results/dose_response
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from neuronllm.analysis.transfer import (
    DIRECTIONS,
    MEASURE,
    cell,
    check_same_instances,
    mark_column,
    read_evaluation,
    share,
    sweep_point,
)
from neuronllm.errors import UserError

LABELS = {"cni": "NeuronLLM", "tn": "TN", "qrnca": "QRNCA", "kn": "KN", "act": "ACT", "random": "RANDOM"}
FORMAT_LABELS = {"text": "AQUA, text answers", "letter": "AQUA, letter answers", "native": "native"}
CSV_COLUMNS = [
    "model",
    "model_label",
    "seed",
    "task",
    "method",
    "neurons_from",
    "K",
    "condition",
    "metric",
    "value",
    "low",
    "high",
    "n_instances",
    "answer_format",
    "data",
]


def _plan(plan_config: dict[str, Any]):
    from neuronllm.pipeline.plan import Plan
    from neuronllm.pipeline.transfer_plan import TransferPlan

    return TransferPlan(Plan(plan_config))


class _Files:
    """Evaluation files read once each (several cells share an original or a null set)."""

    def __init__(self) -> None:
        self.cache: dict[str, dict[str, Any]] = {}

    def __call__(self, path: str) -> dict[str, Any]:
        if path not in self.cache:
            self.cache[path] = read_evaluation(path)
        return self.cache[path]


def compute(plan_config: dict[str, Any], resamples: int = 2000, seed: int = 0) -> dict[str, Any]:
    """Every cell of the transfer table and every sweep point (first model, first seed)."""
    tp = _plan(plan_config)
    plan = tp.plan
    model, run_seed = plan.models[0], plan.seeds[0]
    files = _Files()
    formats = [tp.main_format, "native", tp.other_format]
    rows, originals, sweeps = [], {}, []
    for task in plan.tasks:
        where = dict(model=model, seed=run_seed, task=task)
        original = {fmt: files(tp.evaluation(fmt, "original", **where)) for fmt in formats}
        for fmt in formats[1:]:
            check_same_instances(original[tp.main_format], original[fmt])
        originals[task] = {
            fmt: {
                "acc": original[fmt]["acc"],
                "acc_norm": original[fmt].get("acc_norm"),
                "n_instances": original[fmt]["n_instances"],
            }
            for fmt in formats
        }
        # An enhancer's largest possible signed change (every answer right): a ceiling, not an effect.
        for fmt in formats:
            acc = originals[task][fmt]["acc"]
            originals[task][fmt]["headroom"] = (1 / acc - 1) * 100 if acc > 0 else None
        for method, op, part in tp.row_conditions():
            direction = DIRECTIONS[op]
            set_key = plan.set_key(method, plan.budget)
            row: dict[str, Any] = {"task": task, "method": method, "op": op, "part": part, "direction": direction}
            for fmt in formats:
                condition = files(tp.evaluation(fmt, set_key, op, part, **where))
                nulls = [
                    files(tp.evaluation(fmt, tp.null_key(i), op, part, **where))
                    for i in range(tp.column_null_sets(fmt))
                ]
                row[fmt] = cell(original[fmt], condition, nulls, direction, resamples, seed)
                if fmt == "native":
                    row["native_norm"] = cell(original[fmt], condition, nulls, direction, resamples, seed, "acc_norm")
            row["share"] = share(row[tp.main_format], row["native"])
            rows.append(row)
        for part, _label, factor, conditions in tp.sweep_points():
            for fmt in (tp.main_format, "native"):
                paths = [tp.evaluation(fmt, key, op, p, f, **where) for key, op, p, f in conditions]
                sweeps.append(
                    {"task": task, "format": fmt, "part": part, "factor": factor}
                    | sweep_point(original[fmt], files(paths[0]), [files(p) for p in paths[1:]], resamples, seed)
                )
        if tp.sweep:  # ×1 is the unmodified model: a point of every curve, zero by definition
            for fmt in (tp.main_format, "native"):
                for part in ("good", "bad"):
                    sweeps.append(
                        {"task": task, "format": fmt, "part": part, "factor": 1.0}
                        | sweep_point(original[fmt], None, [], resamples, seed)
                    )
    for column in [*formats, "native_norm"]:
        mark_column([r[column] for r in rows])
    return {
        "rows": rows,
        "originals": originals,
        "sweeps": sweeps,
        "formats": formats,
        "model": model,
        "seed": run_seed,
        "budget": plan.budget,
        "null_sets": tp.null_sets,
        "main_null_sets": tp.column_null_sets(tp.main_format),
        "sweep_null_sets": tp.sweep_null_sets,
        "model_label": (plan_config["models"][model] or {}).get("label", model),
        "resamples": resamples,
    }


def _number(value: float | None, digits: int = 0) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _cell_text(c: dict[str, Any], br: str) -> str:
    value = c.get(MEASURE)
    if value is None:
        return "–"
    band = c["null"]
    mark = "†" if c.get("marked") else (" shift" if band.get("answer_shift") else "")
    return (
        f"{value:+.1f} [{_number(c.get(f'{MEASURE}_low'))}, {_number(c.get(f'{MEASURE}_high'))}]{mark}{br}"
        f"null [{_number(band.get('low'))}, {_number(band.get('high'))}]"
    )


def _share_text(s: dict[str, Any]) -> str:
    if s["value"] is None:
        return "–" if s["reason"] else "undefined"
    return f"{s['value']:.2f} [{_number(s['low'], 2)}, {_number(s['high'], 2)}]"


def table_frame(result: dict[str, Any], br: str):
    import pandas as pd

    main, _, other = result["formats"]
    records = []
    for r in result["rows"]:
        records.append(
            {
                "Task": r["task"],
                "Neurons": LABELS.get(r["method"], r["method"]),
                "Op": r["direction"].capitalize(),
                f"AQUA proxies ({main}, Table 1)": _cell_text(r[main], br),
                "native (acc)": _cell_text(r["native"], br),
                "native (acc_norm)": _cell_text(r["native_norm"], br),
                f"other format ({other})": _cell_text(r[other], br),
                "share surviving native": _share_text(r["share"]),
            }
        )
    return pd.DataFrame.from_records(records)


def caption(result: dict[str, Any]) -> str:
    main, _, other = result["formats"]
    lines = [
        f"Transfer of each task's neuron sets, {result['model_label']}, K = {result['budget']}, seed {result['seed']}. "
        f"A cell: the signed relative accuracy change in the intended direction (%, Table 1's quantity; Deg: a fall is "
        f"positive) [95% paired-bootstrap interval over instances, {result['resamples']} resamples]; second line: the "
        f"95% prediction band of random neuron sets of the same size in the same format ({result['main_null_sets']} "
        f"sets for the AQUA proxies: Table 1's band; {result['null_sets']} for the other columns). "
        "† = beyond the null band and beyond no effect (one-sided, evidence.cell_test) after Benjamini–Hochberg at "
        'FDR 2.5% within the column, and not an answer shift ("shift": accuracy rose the intended way, balanced '
        "accuracy did not). Tables read acc (summed log-likelihood, the paper's eq. 2); acc_norm (lm-eval's "
        "per-character normalisation) is shown for the native format. Share surviving native: s_native / s_proxy on "
        "the joint resamples of the same instances, [95% interval]; – where the proxy effect's interval reaches 0.",
        "Unmodified accuracy (acc / acc_norm, %) and an enhancer's ceiling (the largest signed change possible, "
        "every answer right), per task: "
        + "; ".join(
            f"{task}: "
            + ", ".join(
                f"{fmt} {100 * o[fmt]['acc']:.1f}"
                + (f"/{100 * o[fmt]['acc_norm']:.1f}" if o[fmt]["acc_norm"] is not None else "")
                + f" (n = {o[fmt]['n_instances']}, ceiling +{_number(o[fmt]['headroom'])})"
                for fmt in (main, "native", other)
            )
            for task, o in result["originals"].items()
        ),
    ]
    return "\n\n".join(lines)


def sweep_frame(result: dict[str, Any]):
    import pandas as pd

    frame = pd.DataFrame.from_records(result["sweeps"])
    if frame.empty:
        return frame
    return frame.sort_values(["task", "format", "part", "factor"]).reset_index(drop=True)


def sweep_summary(result: dict[str, Any]) -> str:
    """Per (task, format, part): the factor of the largest change each way, and whether the curve is
    monotone over the swept factors (points with intervals)."""
    frame = sweep_frame(result)
    if frame.empty:
        return ""
    lines = [
        "| task | format | neurons ×f | Δacc (pp) at each f [95% CI] (null band) | monotone |",
        "|---|---|---|---|---|",
    ]
    for (task, fmt, part), group in frame.groupby(["task", "format", "part"], sort=False):
        points = "; ".join(
            f"×{row.factor:g}: {row.delta:+.1f} [{_number(row.low)}, {_number(row.high)}] "
            f"({_number(row.band_low)}, {_number(row.band_high)})"
            for row in group.itertuples()
        )
        deltas = list(group["delta"])
        steps = [b - a for a, b in zip(deltas, deltas[1:])]
        monotone = "up" if all(s >= 0 for s in steps) else "down" if all(s <= 0 for s in steps) else "no"
        lines.append(f"| {task} | {fmt} | {part} | {points} | {monotone} |")
    return "\n".join(lines)


def tidy_rows(result: dict[str, Any], data: str | None = None) -> list[dict[str, Any]]:
    """Rows in results/metrics.csv's columns (so the two concatenate)."""
    base = {
        "model": result["model"],
        "model_label": result["model_label"],
        "seed": result["seed"],
        "K": result["budget"],
        "data": data,
    }
    rows = []
    for r in result["rows"]:
        common = base | {
            "task": r["task"],
            "method": r["method"],
            "neurons_from": r["task"],
            "condition": f"{r['direction']}/{r['part']}",
        }
        for column in [*result["formats"], "native_norm"]:
            c = r[column]
            fmt = "native" if column == "native_norm" else column
            suffix = "_norm" if column == "native_norm" else ""
            extra = {"answer_format": fmt, "n_instances": result["originals"][r["task"]][fmt]["n_instances"]}
            rows.append(
                common
                | extra
                | {
                    "metric": f"transfer_{MEASURE}{suffix}",
                    "value": c.get(MEASURE),
                    "low": c.get(f"{MEASURE}_low"),
                    "high": c.get(f"{MEASURE}_high"),
                }
            )
            band = c["null"]
            rows.append(
                common
                | extra
                | {
                    "metric": f"transfer_null_{MEASURE}{suffix}",
                    "value": band.get("mean"),
                    "low": band.get("low"),
                    "high": band.get("high"),
                }
            )
            rows.append(common | extra | {"metric": f"transfer_p_{MEASURE}{suffix}", "value": band.get("p")})
            rows.append(common | extra | {"metric": f"transfer_marked{suffix}", "value": c.get("marked")})
        s = r["share"]
        rows.append(
            common
            | {
                "answer_format": "native",
                "metric": "transfer_share_native",
                "value": s["value"],
                "low": s["low"],
                "high": s["high"],
            }
        )
    for p in result["sweeps"]:
        common = base | {
            "task": p["task"],
            "method": "cni",
            "neurons_from": p["task"],
            "answer_format": p["format"],
            "condition": f"{p['part']} x{p['factor']:g}",
        }
        rows.append(common | {"metric": "sweep_acc_delta_pp", "value": p["delta"], "low": p["low"], "high": p["high"]})
        rows.append(
            common
            | {
                "metric": "sweep_null_acc_delta_pp",
                "value": p["band_mean"],
                "low": p["band_low"],
                "high": p["band_high"],
            }
        )
    return rows


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
            marker = "o" if r["method"] == "cni" else "."
            axis.errorbar(
                x[MEASURE],
                y[MEASURE],
                xerr=xerr,
                yerr=yerr,
                fmt=marker,
                color=colours[r["task"]],
                alpha=0.9 if r["method"] == "cni" else 0.4,
                markersize=7 if r["method"] == "cni" else 5,
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
