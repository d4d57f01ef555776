"""One metrics file per (model, task, method, budget): the original scores and, per intervention
condition, its scores with RAC/RCC/Fail (metrics.effect). The report reads only these files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from neuronllm.atomic import write_json
from neuronllm.errors import UserError
from neuronllm.metrics import effect

DIRECTION_OF_OP = {"degrade": "deg", "silence": "deg", "enhance": "enh", "excite": "enh"}


def _read(path: str | Path) -> dict[str, Any]:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"evaluation file not found: {path}") from None
    except json.JSONDecodeError as err:
        raise UserError(f"{path}: not valid JSON ({err})") from None


def condition_key(evaluation: dict[str, Any]) -> str:
    """'deg/both', 'enh/good', ... from an evaluation's condition."""
    condition = evaluation["condition"]
    return f"{DIRECTION_OF_OP[condition['op']]}/{condition['part']}"


def build_metrics(original: dict[str, Any], evaluations: list[dict[str, Any]], info: dict[str, Any]) -> dict[str, Any]:
    base = {"acc": original["acc"], "comprehension": original["comprehension"]}
    conditions = {}
    for evaluation in evaluations:
        if evaluation["task"] != original["task"] or evaluation["settings"] != original["settings"]:
            raise UserError(f"condition {evaluation['condition']['label']} was evaluated on other data than the original")
        key = condition_key(evaluation)
        scores = {"acc": evaluation["acc"], "comprehension": evaluation["comprehension"]}
        conditions[key] = scores | effect(base, scores, key.split("/")[0])
    settings = original["settings"]
    data_files = settings.get("data_files")
    return {
        "model": original["model"],
        "task": original["task"],
        "answer_format": settings["answer_format"],
        "seed": settings["seed"],
        "eval_instances": original["n_instances"],
        "data": data_files if isinstance(data_files, str) else ("hub" if data_files is None else "local files"),
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
