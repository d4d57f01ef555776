"""Every number of a run in one tidy table, results/metrics.csv: one row per (model, seed, task, method,
K, condition, metric), with its 95% interval where it has one, so users can plot and test without
parsing Markdown.

    model, model_label, seed, task, method, neurons_from, K, condition, metric, value, low, high,
    n_instances, answer_format, data

condition "original" carries the unmodified model's acc, comprehension, gold_prob, balanced_acc and
balanced_gold_prob (with intervals) and the bias diagnostics (bias_*); an intervention condition
("deg/both", ...) carries acc, comprehension, balanced_acc, rac_magnitude / rcc_magnitude (RAC/RCC as
the paper prints them: sizes without sign, "fail" says the direction), the signed changes (intended
direction positive) with intervals, bootstrap SE (_se) and one-sided p of no effect (_p0), the
answer-distribution shift (answer_tv, top_answer_share_delta), answer_shift_* flags, mcnemar_p,
flips, neurons_changed, and per tested measure its null band (null_* = mean [95% prediction
interval]), p_null_* / p_* (neuronllm/analysis/evidence.py) and passes_* (the per-cell test at evidence.LEVEL, before a
table's Benjamini-Hochberg step, which depends on the table's other cells). docs/metrics.md defines
every metric.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from neuronllm.analysis.evidence import MEASURES
from neuronllm.report.inputs import load_metrics

# The tidy CSV's columns: metrics.csv and transfer.csv share them, so the two concatenate.
TIDY_COLUMNS = [
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

EFFECTS = (
    "acc_delta",
    "com_delta",
    "gold_prob_delta",
    "rac_signed",
    "rcc_signed",
    "gold_prob_signed",
    "balanced_acc_delta",
    "balanced_signed",
    "balanced_gold_prob_signed",
    "answer_tv",
    "top_answer_share_delta",
)
SCALARS = (
    "acc",
    "comprehension",
    "balanced_acc",
    "fail",
    "mcnemar_p",
    "flips_lost",
    "flips_gained",
    "neurons_changed",
    "top_answer",
    "top_answer_share",
)
MAGNITUDES = {"rac": "rac_magnitude", "rcc": "rcc_magnitude"}  # unsigned, as the paper prints them


def rows_of(m: dict[str, Any]) -> list[dict[str, Any]]:
    base = {
        "model": m["model"],
        "model_label": m.get("model_label", m["model"]),
        "seed": m.get("seed"),
        "task": m["task"],
        "method": m["method"],
        "neurons_from": m.get("neurons_from", m["task"]),
        "K": m["budget"],
        "n_instances": m.get("eval_instances"),
        "answer_format": m.get("answer_format"),
        "data": m.get("data"),
    }
    rows = []

    def add(condition: str, metric: str, value: Any, low: Any = None, high: Any = None) -> None:
        rows.append(base | {"condition": condition, "metric": metric, "value": value, "low": low, "high": high})

    original = m["original"]
    for metric in ("acc", "comprehension", "gold_prob", "balanced_acc", "balanced_gold_prob"):
        if metric in original:
            add("original", metric, original[metric], original.get(f"{metric}_low"), original.get(f"{metric}_high"))
    for key, value in (m.get("bias") or {}).items():
        if not key.startswith("acc"):
            add("original", f"bias_{key}", value)
    for condition, entry in m["conditions"].items():
        for metric in SCALARS:
            if metric in entry:
                add(condition, metric, entry[metric])
        for metric, name in MAGNITUDES.items():
            if metric in entry:
                add(condition, name, entry[metric])
        for metric in EFFECTS:
            if metric in entry:
                add(condition, metric, entry[metric], entry.get(f"{metric}_low"), entry.get(f"{metric}_high"))
            for suffix in ("se", "p0"):
                if f"{metric}_{suffix}" in entry:
                    add(condition, f"{metric}_{suffix}", entry[f"{metric}_{suffix}"])
        for metric, flag in (entry.get("answer_shift") or {}).items():
            add(condition, f"answer_shift_{metric}", flag)
        null = entry.get("null") or {}
        for metric in MEASURES:
            band = null.get(metric)
            if band:
                add(condition, f"null_{metric}", band.get("mean"), band.get("low"), band.get("high"))
                for key in ("p_null", "p"):
                    add(condition, f"{key}_{metric}", band.get(key))
                add(condition, f"passes_{metric}", band.get("passes"))
        if null:
            add(condition, "null_sets", null.get("sets"))
    return rows


def write_csv(metrics_paths: list[str | Path], out: str | Path) -> None:
    import pandas as pd

    from neuronllm.atomic import atomic_path

    rows = [row for m in load_metrics(metrics_paths) for row in rows_of(m)]
    frame = pd.DataFrame(
        rows,
        columns=TIDY_COLUMNS,
    )
    with atomic_path(out) as tmp:
        frame.to_csv(tmp, index=False)
