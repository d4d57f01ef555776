"""One metrics file per (model, task, method, budget): the original scores and, per intervention
condition, its scores with RAC/RCC/Fail (metrics.effect). The report reads only these files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from neuronllm.atomic import finite_or_none, write_json
from neuronllm.errors import UserError
from neuronllm.metrics import effect

DIRECTION_OF_OP = {"degrade": "deg", "silence": "deg", "enhance": "enh", "excite": "enh"}


def _read(path: str | Path) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"evaluation file not found: {path}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise UserError(f"{path}: not valid JSON ({type(err).__name__})") from None


def condition_key(evaluation: dict[str, Any]) -> str:
    """'deg/both', 'enh/good', ... from an evaluation's condition."""
    condition = evaluation["condition"]
    return f"{DIRECTION_OF_OP[condition['op']]}/{condition['part']}"


# The settings that determine an evaluation's numbers (prefix_cache, a directory, does not).
NUMBER_SETTINGS = ("task", "answer_format", "seed", "instances", "eval_instances", "data_files")


def _same_data(a: dict[str, Any], b: dict[str, Any]) -> bool:
    settings_a, settings_b = a.get("settings", {}), b.get("settings", {})
    return a["task"] == b["task"] and all(settings_a.get(k) == settings_b.get(k) for k in NUMBER_SETTINGS)


def _same_model(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Same weights, dtype and device where both files record them (older files carry the spec only)."""
    identity_a, identity_b = a.get("model_identity"), b.get("model_identity")
    if identity_a and identity_b:
        return all(identity_a.get(k) == identity_b.get(k) for k in ("weights", "dtype", "device", "revision"))
    return a.get("model") == b.get("model")


def json_effect(effect_result: dict[str, Any], original: dict[str, float]) -> dict[str, Any]:
    """An effect for a JSON file: an undefined relative change (a 0 baseline that rose) is null with its reason."""
    out = dict(effect_result)
    for key, metric in (("rac", "acc"), ("rcc", "comprehension")):
        if finite_or_none(out[key]) is None:
            out[key] = None
            out[f"{key}_undefined"] = f"the original {metric} is 0, so a relative change has no scale"
    return out


def build_metrics(original: dict[str, Any], evaluations: list[dict[str, Any]], info: dict[str, Any]) -> dict[str, Any]:
    base = {"acc": original["acc"], "comprehension": original["comprehension"]}
    conditions = {}
    for evaluation in evaluations:
        if not _same_data(evaluation, original):
            raise UserError(f"condition {evaluation['condition']['label']} was evaluated on other data than the original")
        if not _same_model(evaluation, original):
            raise UserError(f"condition {evaluation['condition']['label']} was evaluated on another model than the original")
        key = condition_key(evaluation)
        scores = {"acc": evaluation["acc"], "comprehension": evaluation["comprehension"]}
        changed = {"neurons_changed": evaluation["neurons_changed"]} if "neurons_changed" in evaluation else {}
        conditions[key] = scores | json_effect(effect(base, scores, key.split("/")[0]), base) | changed
    settings = original["settings"]
    data_files = settings.get("data_files")
    return {
        "model": original["model"],
        "task": original["task"],
        "answer_format": settings["answer_format"],
        "seed": settings["seed"],
        "eval_instances": original["n_instances"],
        "data": ", ".join(original["data_source"]) if original.get("data_source") else (
            data_files if isinstance(data_files, str) else ("hub" if data_files is None else "local files")),
        "original": base,
        "conditions": conditions,
    } | info


def write_metrics(original_path: str, condition_paths: list[str], out: str, info_json: str = "{}") -> None:
    try:
        info = json.loads(info_json)
    except json.JSONDecodeError as err:
        raise UserError(f"--info is not valid JSON ({err})") from None
    metrics = build_metrics(_read(original_path), [_read(p) for p in condition_paths], info)
    write_json(out, metrics)
