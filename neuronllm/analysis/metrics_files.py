"""One metrics file per (model, seed, task, method, budget): everything the tables print, with its uncertainty.

    original    acc, comprehension, mean gold-option probability, each with a bootstrap 95% interval,
                and the bias diagnostics of the unmodified model (stats.bias_diagnostics)
    conditions  per intervention ("deg/both", "enh/good", ...): acc, comprehension, RAC/RCC/Fail
                (metrics.effect), the paired-bootstrap intervals and McNemar test of the effect
                (stats.effect_statistics: with balanced accuracy and the answer-distribution shift),
                the answer-shift flags, the neurons it changed, and the null band: the same
                statistics for RANDOM sets of the same size and shape, the test against them and
                every null draw's record (evidence.py)
The report reads only these files.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy is imported where it is used: the metrics command starts without it
    pass

from neuronllm.analysis.evaluation_file import EvaluationFile, read_evaluation, summary, verified, warn_degenerate
from neuronllm.analysis.evidence import MEASURES, answer_shift, cell_test, draw_record
from neuronllm.analysis.metrics import effect
from neuronllm.analysis.pairing import check_info, check_resamples, check_same_inputs, null_sets_of_the_shape
from neuronllm.analysis.stats import (
    answer_keying,
    answers_from_predictions,
    bias_diagnostics,
    effect_statistics,
    interval_of_scores,
    paired,
)
from neuronllm.atomic import finite_or_none, write_json
from neuronllm.errors import UserError

DIRECTION_OF_OP = {"degrade": "deg", "silence": "deg", "enhance": "enh", "excite": "enh"}
# The settings that determine an evaluation's numbers (prefix_cache, a directory, does not).
NUMBER_SETTINGS = ("task", "answer_format", "seed", "instances", "eval_instances")
NULL_STATISTICS = MEASURES
FORMAT = "neuronllm.metrics/3"
INFO_TYPES = {"budget": int, "method": str, "model_label": str, "steps": int, "instances": int}


def check_evaluation(obj: Mapping[str, Any], source: str, original: bool) -> None:
    """An AQUA evaluation file as `neuronllm evaluate` writes it, its claims checked against its own data
    (neuronllm.analysis.evaluation_file.verified)."""
    verified(obj, source, original)


def condition_key(evaluation: Mapping[str, Any]) -> str:
    """'deg/both', 'enh/good', ... from an evaluation's condition; a factor other than the paper's ×2
    is part of the key ('enh/good@0.5'), so two factors never share a cell or a null band."""
    from neuronllm.model.condition import EXCITE, factor_text

    condition = evaluation["condition"]
    factor = condition.get("factor", EXCITE)
    suffix = "" if factor in (None, EXCITE) else f"@{factor_text(float(factor))}"
    return f"{DIRECTION_OF_OP[condition['op']]}/{condition['part']}{suffix}"


def _same_data(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Same task, format, seed and sizes, and the same data actually read (where the files record it:
    a run without --data-files that fell back to the shipped data read the same rows as one with it)."""
    settings_a, settings_b = a.get("settings", {}), b.get("settings", {})
    same = a["task"] == b["task"] and all(settings_a.get(k) == settings_b.get(k) for k in NUMBER_SETTINGS)
    if "data_source" in a and "data_source" in b:
        return same and a["data_source"] == b["data_source"]
    return same and settings_a.get("data_files") == settings_b.get("data_files")


def _same_model(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    """Same weights, dtype and device where both files record them (older files carry the spec only)."""
    identity_a, identity_b = a.get("model_identity"), b.get("model_identity")
    if identity_a and identity_b:
        return all(identity_a.get(k) == identity_b.get(k) for k in ("weights", "dtype", "device", "revision"))
    return a.get("model") == b.get("model")


def _check_pair(original: Mapping[str, Any], evaluation: Mapping[str, Any], source: str) -> None:
    check_same_inputs(original, evaluation, source)  # content: digests, model identity, instances
    if not _same_data(evaluation, original):
        raise UserError(
            f"{source}: condition {evaluation['condition']['label']} was evaluated on other data than the original"
        )
    if not _same_model(evaluation, original):
        raise UserError(
            f"{source}: condition {evaluation['condition']['label']} was evaluated on another model than the original"
        )


def json_effect(effect_result: dict[str, Any]) -> dict[str, Any]:
    """An effect for a JSON file: an undefined relative change (a 0 baseline that rose) is null with its reason."""
    out = dict(effect_result)
    for key, metric in (("rac", "acc"), ("rcc", "comprehension")):
        if finite_or_none(out[key]) is None:
            out[key] = None
            out[f"{key}_undefined"] = f"the original {metric} is 0, so a relative change has no scale"
    return out


def _scores(evaluation: Mapping[str, Any]) -> dict[str, float]:
    computed = summary(evaluation["predictions"], (evaluation.get("settings") or {}).get("answer_format"))
    return {"acc": computed["acc"], "comprehension": computed["comprehension"]}


def condition_entry(
    original: Mapping[str, Any], evaluation: Mapping[str, Any], resamples: int, seed: int
) -> dict[str, Any]:
    """The scores and effect statistics of one intervened evaluation against the original."""
    key = condition_key(evaluation)
    direction = key.split("/")[0]
    # from the predictions, not the files' headers (evaluation_file: the one path numbers are read by)
    base = _scores(original)
    scores = _scores(evaluation)
    try:
        before, after = paired(original["predictions"], evaluation["predictions"])
    except (ValueError, KeyError, TypeError) as err:
        raise UserError(f"condition {key}: its predictions do not pair with the original's ({err})") from None
    entry = (
        scores
        | json_effect(effect(base, scores, direction))
        | effect_statistics(before, after, direction, resamples, seed)
    )
    entry["answer_shift"] = {measure: answer_shift(entry, measure) for measure in MEASURES}
    if "neurons_changed" in evaluation:
        entry["neurons_changed"] = evaluation["neurons_changed"]
    return entry


def _bands(entry: dict[str, Any], null_entries: list[dict[str, Any]]) -> dict[str, Any]:
    """Per measure: the prediction band of the null draws, the cell's p-values against them and against
    no effect, and the per-cell verdict ("outside": passes at evidence.LEVEL, not an answer shift; the
    tables' † add the Benjamini-Hochberg step); the draws' records for the calibration."""
    tests = {name: cell_test(entry, null_entries, name) for name in NULL_STATISTICS}
    return tests | {
        "outside": {name: tests[name]["passes"] for name in NULL_STATISTICS},
        "sets": len(null_entries),
        "draws": [draw_record(n) for n in null_entries],
    }


def merge_info(computed: dict[str, Any], info: Mapping[str, Any]) -> dict[str, Any]:
    """The metrics file: the computed fields and --info's, which may add fields (or repeat a computed
    value) but never replace one (an `--info '{"conditions": {}}'` would erase every computed effect)."""
    clash = sorted(k for k in info if k == "digests" or (k in computed and info[k] != computed[k]))
    if clash:
        raise UserError(
            f"--info {clash[0]!r} is a field the metrics compute from the evaluations: --info may only add "
            f"fields (or repeat one's value)"
        )
    return computed | dict(info)


def _verified_all(
    original: Mapping[str, Any], groups: Sequence[tuple[str, Sequence[Mapping[str, Any]], Sequence[str] | None]]
) -> tuple[EvaluationFile, list[list[EvaluationFile]]]:
    """Every input through the one recompute-and-verify path (evaluation_file.verified)."""
    checked = verified(original, "the original", original=True)
    out = []
    for what, files, sources in groups:
        names = list(sources) if sources is not None else [f"{what} {n + 1}" for n in range(len(files))]
        out.append([verified(e, name, original=False) for e, name in zip(files, names)])
    return checked, out


def build_metrics(
    original: Mapping[str, Any],
    evaluations: Sequence[Mapping[str, Any]],
    info: Mapping[str, Any],
    nulls: Sequence[Mapping[str, Any]] = (),
    resamples: int = 2000,
    seed: int = 0,
    matched: Sequence[Mapping[str, Any]] = (),
    sources: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """The metrics file's content (module docstring). Every evaluation is verified and its numbers
    recomputed from its predictions; `nulls` (uniform null draws) and `matched` (activation-matched
    ones) are identified by their sets' content (pairing.null_sets_of_the_shape) and grouped by their
    condition key into the conditions' bands ("null", "null_matched"). `sources`: the file names
    ("conditions", "null", "matched") the one-line errors name."""
    check_resamples(resamples)
    names = sources or {}
    checked_original, (checked, checked_nulls, checked_matched) = _verified_all(
        original,
        [
            ("condition", evaluations, names.get("conditions")),
            ("null", nulls, names.get("null")),
            ("matched null", matched, names.get("matched")),
        ],
    )
    for evaluation in [*checked, *checked_nulls, *checked_matched]:
        _check_pair(checked_original, evaluation, "metrics")
    keys = [condition_key(e) for e in checked]
    duplicated = sorted({k for k in keys if keys.count(k) > 1})
    if duplicated:
        raise UserError(f"metrics: condition {duplicated[0]} given more than once")
    uniform = null_sets_of_the_shape(checked, checked_nulls, condition_key, "null", names.get("null"))
    activation = null_sets_of_the_shape(checked, checked_matched, condition_key, "matched null", names.get("matched"))
    null_entries: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for null in uniform.kept:
        null_entries[condition_key(null)].append(condition_entry(checked_original, null, resamples, seed))
    matched_entries: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for null in activation.kept:
        matched_entries[condition_key(null)].append(condition_entry(checked_original, null, resamples, seed))
    conditions = {}
    for evaluation in checked:
        warn_degenerate(evaluation["predictions"], str(evaluation["condition"].get("label")))
        entry = condition_entry(checked_original, evaluation, resamples, seed)
        key = condition_key(evaluation)
        if null_entries.get(key):
            entry["null"] = _bands(entry, null_entries[key])
        if matched_entries.get(key):
            entry["null_matched"] = _bands(entry, matched_entries[key])
        for field, selection in (("null", uniform), ("null_matched", activation)):
            if key in selection.left_out:
                entry[f"{field}_left_out"] = selection.left_out[key]
            if key in selection.unavailable:
                entry[f"{field}_unavailable"] = selection.unavailable[key]
        conditions[key] = entry
    settings = checked_original["settings"]
    data_files = settings.get("data_files")
    predictions = checked_original["predictions"]
    original_scores = interval_of_scores(
        answers_from_predictions(predictions, by_text=answer_keying(predictions)), resamples, seed
    )
    computed = {
        "format": FORMAT,
        "model": checked_original["model"],
        "task": checked_original["task"],
        "answer_format": settings["answer_format"],
        "seed": settings["seed"],
        "eval_instances": checked_original["n_instances"],
        "data": ", ".join(checked_original["data_source"])
        if checked_original.get("data_source")
        else (data_files if isinstance(data_files, str) else ("hub" if data_files is None else "local files")),
        "original": {"acc": checked_original["acc"], "comprehension": checked_original["comprehension"]}
        | {k: v for k, v in original_scores.items() if k not in ("acc", "comprehension")},
        "bias": bias_diagnostics(predictions, resamples, seed),
        "bootstrap": {"resamples": resamples, "seed": seed, "unit": "instance (its 3 proxies together)"},
        "conditions": conditions,
    }
    return merge_info(computed, info)


def _parse_info(info_json: str) -> dict:
    """The --info JSON object (one-line errors for anything else)."""
    try:
        info = json.loads(info_json)
    except json.JSONDecodeError as err:
        raise UserError(f"--info is not valid JSON ({err})") from None
    if not isinstance(info, dict):
        raise UserError("--info must be a JSON object")
    for key, kind in INFO_TYPES.items():
        if key in info and (not isinstance(info[key], kind) or isinstance(info[key], bool)):
            raise UserError(f"--info {key!r} must be {kind.__name__}, got {info[key]!r}")
    return info


def write_metrics(
    original_path: str,
    condition_paths: list[str],
    out: str,
    info_json: str = "{}",
    null_paths: Sequence[str] = (),
    resamples: int = 2000,
    matched_paths: Sequence[str] = (),
) -> None:
    info = _parse_info(info_json)
    check_resamples(resamples)
    original = read_evaluation(original_path, original=True)
    evaluations = [read_evaluation(p, original=False) for p in condition_paths]
    nulls = [read_evaluation(p, original=False) for p in null_paths]
    matched = [read_evaluation(p, original=False) for p in matched_paths]
    check_info(info, original, evaluations)
    metrics = build_metrics(
        original,
        evaluations,
        info,
        nulls,
        resamples,
        matched=matched,
        sources={"conditions": condition_paths, "null": list(null_paths), "matched": list(matched_paths)},
    )
    write_json(
        out,
        metrics | {"digests": input_digests(original, [*condition_paths, *null_paths, *matched_paths], original_path)},
    )


def input_digests(original: Mapping[str, Any], paths: list[str], original_path: str) -> dict[str, Any]:
    """A metrics file's provenance: the content digests its evaluations were computed from, and the
    digest of every evaluation file it read."""
    from neuronllm.digests import file_digest

    return dict(original.get("digests") or {}) | {
        "evaluations": {str(p): file_digest(p) for p in [original_path, *paths]}
    }
