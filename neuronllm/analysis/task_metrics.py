"""The metrics file of any (non-AQUA) lm-eval task, e.g. the general tasks of the specificity matrix:
the relative change of the task's primary metric (%) per condition, with a paired bootstrap 95%
interval over documents (the same documents before and after)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from neuronllm.analysis.metrics_files import _parse_info, _same_model, condition_key, input_digests, merge_info
from neuronllm.analysis.pairing import check_resamples, check_same_inputs
from neuronllm.atomic import finite_or_none, read_json, write_json
from neuronllm.errors import UserError

if TYPE_CHECKING:
    import numpy as np

TASK_FORMAT = "neuronllm.task-metrics/1"  # the metrics file of a general (non-AQUA) lm-eval task


def _aggregate(values: np.ndarray, paired_values: bool, name: str) -> np.ndarray:
    """A task metric over documents, per bootstrap row: values [R, n] (mean) or [R, n, 2] (loglik, units)."""
    import numpy as np

    if not paired_values:
        return values.mean(axis=1)
    total = values[..., 0].sum(axis=1) / values[..., 1].sum(axis=1)
    if name == "bits_per_byte":
        return -total / np.log(2)
    return np.exp(-total)  # word_perplexity, byte_perplexity


def _document_values(evaluation: dict[str, Any], name: str) -> np.ndarray:
    import numpy as np

    samples = sorted(evaluation.get("samples") or [], key=lambda s: s.get("doc_id", 0))
    try:
        return np.array([s["metrics"][name] for s in samples], dtype=np.float64)
    except (KeyError, TypeError, ValueError):
        raise UserError(f"evaluation of {evaluation.get('task')!r} has no per-document values of {name!r}") from None


def primary_metric(evaluation: dict[str, Any]) -> str:
    """The task's first reported metric (perplexity tasks: word_perplexity)."""
    names = [k.split(",")[0] for k in evaluation.get("metrics", {}) if "stderr" not in k and k != "sample_len"]
    if not names:
        raise UserError(f"evaluation of {evaluation.get('task')!r} reports no metric")
    return "word_perplexity" if "word_perplexity" in names else names[0]


def build_task_metrics(
    original: dict[str, Any],
    evaluations: list[dict[str, Any]],
    info: dict[str, Any],
    resamples: int = 2000,
    seed: int = 0,
) -> dict[str, Any]:
    """Effects on any lm-eval task: the relative change of its primary metric (%), with a paired
    bootstrap 95% interval over documents (the same documents before and after)."""
    import numpy as np

    from neuronllm.analysis.stats import _draws, _interval

    name = info.get("metric") or primary_metric(original)
    before = _document_values(original, name)
    draws = _draws(before.shape[0], resamples, seed)
    pairs = before.ndim == 2
    base = _aggregate(before[draws], pairs, name)
    conditions = {}
    for evaluation in evaluations:
        if evaluation.get("task") != original.get("task"):
            raise UserError(
                f"condition {evaluation['condition']['label']} was evaluated on another task than the original"
            )
        if not _same_model(evaluation, original):
            raise UserError(
                f"condition {evaluation['condition']['label']} was evaluated on another model than the original"
            )
        after = _document_values(evaluation, name)
        if after.shape != before.shape:
            raise UserError(f"condition {evaluation['condition']['label']} scored other documents than the original")
        value = _aggregate(after[draws], pairs, name)
        with np.errstate(divide="ignore", invalid="ignore"):
            relative = np.where(base != 0, (value - base) / base * 100, np.nan)
        low, high = _interval(relative[1:])
        conditions[condition_key(evaluation)] = {
            "value": float(value[0]),
            "relative_change": finite_or_none(float(relative[0])),
            "relative_change_low": low,
            "relative_change_high": high,
            "neurons_changed": evaluation.get("neurons_changed"),
        }
    computed = {
        "format": TASK_FORMAT,
        "model": original["model"],
        "task": original["task"],
        "metric": name,
        "higher_is_better": name not in ("word_perplexity", "byte_perplexity", "bits_per_byte"),
        "original": {"value": float(base[0]), "documents": int(before.shape[0])},
        "bootstrap": {"resamples": resamples, "seed": seed, "unit": "document"},
        "conditions": conditions,
    }
    return merge_info(computed, info)


def write_task_metrics(
    original_path: str, condition_paths: list[str], out: str, info_json: str = "{}", resamples: int = 2000
) -> None:
    info = _parse_info(info_json)
    check_resamples(resamples)
    original = read_json(original_path, "evaluation")
    evaluations = [read_json(p, "evaluation") for p in condition_paths]
    for path, evaluation in [(original_path, original), *zip(condition_paths, evaluations)]:
        if not isinstance(evaluation, dict) or not (evaluation.get("digests") or {}).get("model"):
            raise UserError(
                f"{path}: records no model digest, so what it was computed from cannot be checked "
                f"(re-run `neuronllm evaluate`)"
            )
    for path, evaluation in zip(condition_paths, evaluations):
        check_same_inputs(original, evaluation, path)
    write_json(
        out,
        build_task_metrics(original, evaluations, info, resamples)
        | {"digests": input_digests(original, condition_paths, original_path)},
    )
