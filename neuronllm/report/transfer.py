"""results/transfer.md (+ .tex, figure, tidy CSV rows) and the dose-response curves, from the evaluation
files TransferPlan names (neuronllm/analysis/transfer.py says what every number is; docs/metrics.md, "Transfer").

    neuronllm report transfer --plan PLAN_JSON --out results/transfer.md --latex ... --png ... --pdf ...
        --csv results/transfer.csv --sweep-csv results/dose_response.csv --sweep-dir results/dose_response
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
from neuronllm.methods import PAPER_METHOD, label
from neuronllm.report.tidy import TIDY_COLUMNS

if TYPE_CHECKING:
    import pandas as pd

    from neuronllm.pipeline.transfer_plan import TransferPlan

FORMAT_LABELS = {"text": "AQUA, text answers", "letter": "AQUA, letter answers", "native": "native"}
CSV_COLUMNS = TIDY_COLUMNS  # one list: metrics.csv and transfer.csv concatenate


def _plan(plan_config: dict[str, Any]) -> TransferPlan:
    from neuronllm.pipeline.config_check import check_numbers
    from neuronllm.pipeline.plan import Plan
    from neuronllm.pipeline.transfer_plan import TransferPlan

    check_numbers(plan_config, "--plan")
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
    from neuronllm.analysis.pairing import check_resamples

    check_resamples(resamples)
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


def table_frame(result: dict[str, Any], br: str) -> pd.DataFrame:
    import pandas as pd

    main, _, other = result["formats"]
    records = []
    for r in result["rows"]:
        records.append(
            {
                "Task": r["task"],
                "Neurons": label(r["method"]),
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


def sweep_frame(result: dict[str, Any]) -> pd.DataFrame:
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
            "method": PAPER_METHOD,
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
