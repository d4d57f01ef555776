"""Task or format? The effect of every neuron set on the AQUA proxies, on the task posed natively, and on
the other answer format, paired instance by instance; and the dose-response of NeuronLLM's sets.

A cell is an effect as Table 1 measures it: the signed relative accuracy change in the intended direction
    s = d · (acc_int − acc_orig) / acc_orig · 100   (%; d = +1 Enh, −1 Deg; stats.signed_relative)
with its 95% paired-bootstrap interval over instances (stats.effect_statistics: the same seed and
resamples as the metrics files, so the AQUA column equals Table 1's number), and the null band of the
same statistic under random sets of the same shape in the same format (evidence.prediction_band; the
cell's test: evidence.cell_test, then Benjamini–Hochberg per column, answer shifts unmarked).

Share of the proxy effect that survives in the native format: r = s_native / s_AQUA, computed on each
joint bootstrap resample (the native documents are the proxies' instances: same instance keys, same
order, same draws; stats.effect_draws); its point estimate and 95% percentile interval. It is reported
only where the proxy effect's interval lies above 0: with no proxy effect there is nothing to survive.

Dose-response: NeuronLLM's good (or bad) neurons alone multiplied by f (transfer_plan.sweep_condition),
each point the accuracy change acc_f − acc_orig (percentage points) with its paired interval, and the
null band of random sets of the same number of neurons multiplied by the same f (null sets of another
size are left out of the band).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from neuronllm.analysis.evidence import benjamini_hochberg, cell_test, prediction_band
from neuronllm.analysis.stats import effect_draws, effect_statistics, paired, percentile_interval
from neuronllm.errors import UserError

DIRECTIONS = {"degrade": "deg", "enhance": "enh"}
MEASURE = "rac_signed"
NORMS = {"acc": "correct", "acc_norm": "correct_norm"}  # which per-document correctness a cell reads


def read_evaluation(path: str | Path) -> dict[str, Any]:
    """An AQUA or native evaluation file through the one recompute-and-verify path
    (neuronllm.analysis.evaluation_file.verified): its numbers are recomputed from its predictions."""
    from neuronllm.analysis.evaluation_file import verified
    from neuronllm.atomic import read_json

    evaluation = read_json(path, "evaluation")
    if not isinstance(evaluation, dict) or not isinstance(evaluation.get("predictions"), list):
        raise UserError(f"{path}: not an AQUA or native evaluation file (no predictions)")
    return dict(verified(evaluation, str(path), original=None)) | {"_source": str(path)}


def _predictions(evaluation: Mapping[str, Any], norm: str) -> list[dict[str, Any]]:
    """The predictions with `correct` read from lm-eval's per-document metric `norm` (acc or acc_norm)."""
    key = NORMS[norm]
    rows = evaluation["predictions"]
    if key != "correct":
        if not all(key in p for p in rows):
            raise UserError(
                f"{evaluation.get('_source', '?')}: no {norm} per document (evaluated before acc_norm was recorded)"
            )
        rows = [p | {"correct": bool(p[key])} for p in rows]
    return rows


def check_same_instances(proxy: Mapping[str, Any], other: Mapping[str, Any]) -> None:
    """Two formats' originals pair instance by instance: the same data (content digest), the same model,
    and the same instances with the same gold answer. One-line refusal otherwise."""
    source = other.get("_source", "?")
    data = [(e.get("digests") or {}).get("data") for e in (proxy, other)]
    if None not in data and data[0] != data[1]:
        raise UserError(f"{source}: evaluated on other data than the AQUA proxies ({data[1]} vs {data[0]})")
    identity = [e.get("model_identity") or {} for e in (proxy, other)]
    for key in ("weights", "dtype", "device", "revision", "load_arguments"):
        if key in identity[0] and key in identity[1] and identity[0][key] != identity[1][key]:
            raise UserError(f"{source}: evaluated with another model {key} than the AQUA proxies")
    gold = [{str(p["instance_id"]): p.get("gold_text") for p in e["predictions"]} for e in (proxy, other)]
    if set(gold[0]) != set(gold[1]):
        raise UserError(f"{source}: {len(set(gold[0]) ^ set(gold[1]))} instances are not in both formats' evaluations")
    differing = [i for i in gold[0] if gold[0][i] != gold[1][i]]
    if differing:
        raise UserError(
            f"{source}: instance {differing[0]} has another gold answer than in the AQUA proxies "
            f"({gold[1][differing[0]]!r} vs {gold[0][differing[0]]!r})"
        )


def effect(
    original: Mapping[str, Any],
    condition: Mapping[str, Any],
    direction: str,
    resamples: int,
    seed: int,
    norm: str = "acc",
) -> dict[str, Any]:
    """effect_statistics of one condition against its original (acc or acc_norm), plus the draws."""
    try:
        before, after = paired(_predictions(original, norm), _predictions(condition, norm))
    except ValueError as err:
        raise UserError(f"{condition.get('_source', '?')}: does not pair with its original ({err})") from None
    stats: dict[str, Any] = dict(effect_statistics(before, after, direction, resamples, seed))
    stats["_draws"] = effect_draws(before, after, direction, resamples, seed)
    stats["acc_original"], stats["acc"] = before.acc, after.acc
    return stats


def cell(
    original: Mapping[str, Any],
    condition: Mapping[str, Any],
    nulls: Sequence[Mapping[str, Any]],
    direction: str,
    resamples: int,
    seed: int,
    norm: str = "acc",
) -> dict[str, Any]:
    """The cell's effect, interval and null band (module docstring); `_draws` kept for the share."""
    entry = effect(original, condition, direction, resamples, seed, norm)
    null_entries = [effect(original, n, direction, resamples, seed, norm) for n in nulls]
    return entry | {"null": cell_test(entry, null_entries, MEASURE)}


def share(proxy: Mapping[str, Any], native: Mapping[str, Any]) -> dict[str, Any]:
    """s_native / s_AQUA on the joint resamples; None with a reason where the proxy effect is not above 0."""
    if proxy.get(f"{MEASURE}_low") is None or proxy[f"{MEASURE}_low"] <= 0:
        return {"value": None, "low": None, "high": None, "reason": "no proxy effect (its interval reaches 0)"}
    a, b = proxy["_draws"][MEASURE], native["_draws"][MEASURE]
    if a.shape != b.shape:
        raise UserError("the formats' effects were resampled differently: they do not pair")
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(a > 0, b / a, np.nan)
    low, high = percentile_interval(ratio[1:])
    value = float(ratio[0]) if np.isfinite(ratio[0]) else None
    return {"value": value, "low": low, "high": high, "reason": None}


def mark_column(cells: Sequence[dict[str, Any] | None]) -> None:
    """Benjamini–Hochberg over one column's tested cells; a rejected cell that is not an answer shift is
    marked (cell["marked"]); the others get marked = False."""
    tests = [c["null"] if c else None for c in cells]
    rejected = benjamini_hochberg([t.get("p") if t else None for t in tests])
    for c, t, r in zip(cells, tests, rejected):
        if c is not None:
            c["marked"] = bool(r and t is not None and not t["answer_shift"])


def sweep_point(
    original: Mapping[str, Any],
    condition: Mapping[str, Any] | None,
    nulls: Sequence[Mapping[str, Any]],
    resamples: int,
    seed: int,
) -> dict[str, Any]:
    """Accuracy change (pp) of one sweep point with its interval and the nulls' band (×1: zero by definition)."""
    if condition is None:
        return {
            "delta": 0.0,
            "low": 0.0,
            "high": 0.0,
            "band_low": 0.0,
            "band_high": 0.0,
            "band_mean": 0.0,
            "n_null": 0,
            "acc": original["acc"],
        }
    entry = effect(original, condition, "enh", resamples, seed)
    same_size = [n for n in nulls if n.get("neurons_changed") == condition.get("neurons_changed")]  # else no band
    band = prediction_band([100 * effect(original, n, "enh", resamples, seed)["acc_delta"] for n in same_size])
    return {
        "delta": 100 * entry["acc_delta"],
        "low": _pp(entry["acc_delta_low"]),
        "high": _pp(entry["acc_delta_high"]),
        "band_low": band["low"],
        "band_high": band["high"],
        "band_mean": band["mean"],
        "n_null": band["n"],
        "acc": entry["acc"],
    }


def _pp(value: float | None) -> float | None:
    return None if value is None else 100 * value
