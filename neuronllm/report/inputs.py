"""Reading the inputs of every table: metrics files (checked against neuronllm/analysis/metrics.py) and the
paper's numbers.

Metrics file (one per model, seed, task, method, budget; results/{model}/s{seed}/{task}/{method}/k{budget}/metrics.json,
the "metrics" entry of `neuronllm.pipeline.plan.LAYOUT`):
    {"model", "model_label", "task", "method", "budget", "answer_format", "seed", "eval_instances", "steps",
     "data", "original": {"acc", "comprehension"},
     "conditions": {"deg/both": {"acc", "comprehension", "rac", "rcc", "fail", ...}, "enh/good": {...}, ...}}
Every cell is recomputed from "original" and the per-condition "acc"/"comprehension" with
`neuronllm.analysis.metrics.effect`, so a table always follows the definitions; stored rac/rcc/fail must agree
with that (else the file is reported as malformed).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from neuronllm.analysis.metrics import DIRECTIONS, effect
from neuronllm.atomic import read_json
from neuronllm.errors import UserError

PAPER_FILE = Path(__file__).resolve().parent / "paper_numbers.json"


def load_metrics(paths: Iterable[str | Path]) -> list[dict]:
    """Read and check metrics files; each dict gets "_source" (its path) for error messages."""
    metrics = [_load_one(Path(path)) for path in paths]
    seen: dict[tuple, str] = {}
    for m in metrics:
        key = (m["model"], m["task"], m["method"], m["budget"], m.get("seed"), m.get("neurons_from"))
        if key in seen:
            raise UserError(f"{m['_source']}: same model/task/method/budget/seed {key[:5]} as {seen[key]}")
        seen[key] = m["_source"]
    labels: dict[str, Any] = {}
    for m in metrics:  # two models under one label would print two rows of one name
        label = m.get("model_label", m["model"])
        if labels.setdefault(label, m["model"]) != m["model"]:
            raise UserError(f"{m['_source']}: model {m['model']!r} has the label {label!r} of model {labels[label]!r}")
    return metrics


def _load_one(path: Path) -> dict:
    obj = read_json(path, "metrics")
    validate_metrics(obj, source=str(path))
    return {**obj, "_source": str(path)}


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def validate_metrics(obj: Any, source: str = "metrics") -> None:
    """Raise UserError (naming `source`) unless `obj` has the fields the tables read, consistent with "
    "neuronllm/analysis/metrics.py."""
    if not isinstance(obj, dict):
        raise UserError(f"{source}: malformed metrics file (expected a JSON object)")
    for key in ("model", "task", "method"):
        if not isinstance(obj.get(key), str) or not obj[key]:
            raise UserError(f"{source}: malformed metrics file (missing or non-string {key!r})")
    if not isinstance(obj.get("budget"), int) or isinstance(obj["budget"], bool):
        raise UserError(f"{source}: malformed metrics file ('budget' must be an integer, got {obj.get('budget')!r})")
    _check_scores(obj.get("original"), f"{source}: 'original'")
    conditions = obj.get("conditions")
    if not isinstance(conditions, dict):
        raise UserError(f"{source}: malformed metrics file (missing 'conditions' object)")
    for name, scores in conditions.items():
        _check_scores(scores, f"{source}: condition {name!r}")
        direction = name.split("/")[0]
        if direction in DIRECTIONS:
            _check_stored(effect(obj["original"], scores, direction), scores, f"{source}: condition {name!r}")


def _check_scores(scores: Any, where: str) -> None:
    if not isinstance(scores, dict):
        raise UserError(f"{where} is not an object with 'acc' and 'comprehension'")
    for key in ("acc", "comprehension"):
        value = scores.get(key)
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not 0 <= value <= 1:
            raise UserError(f"{where}: {key!r} must be a fraction in 0..1, got {value!r}")


def _check_stored(computed: dict, stored: dict, where: str) -> None:
    """Stored rac/rcc/fail are optional, but when present they must match metrics.effect (catches % vs fraction)."""
    for key in ("rac", "rcc"):
        if key in stored and stored[key] is None and math.isinf(computed[key]):
            continue  # written as null with its reason: the relative change of a 0 baseline
        if key in stored and not (
            _is_number(stored[key]) and math.isclose(stored[key], computed[key], rel_tol=0.01, abs_tol=0.1)
        ):
            raise UserError(
                f"{where}: stored {key} {stored[key]!r} disagrees with {computed[key]:.3f} "
                f"recomputed from acc/comprehension"
            )
    if "fail" in stored and stored["fail"] is not computed["fail"]:
        raise UserError(f"{where}: stored fail {stored['fail']!r} disagrees with the recomputed {computed['fail']}")


def load_paper_numbers() -> dict:
    """The paper's printed cells (see paper_numbers.json "_notes" for how they were transcribed)."""
    return json.loads(PAPER_FILE.read_text(encoding="utf-8"))
