"""Evaluate a model on an AQUA task through lm-eval, unmodified or under an intervention.

Writes one JSON per condition: accuracy over proxy QAs, comprehension over instances, and every
proxy's prediction, plus what produced them. Several conditions can run in one process, sharing the
loaded model and the prompt-prefix cache (prefix_cache.py).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from neuronllm import __version__
from neuronllm.atomic import write_json
from neuronllm.errors import UserError
from neuronllm.metrics import accuracy, comprehension
from neuronllm.models import LoadedModel, load_model


@dataclass(frozen=True)
class Condition:
    """One evaluation condition: no neurons = the unmodified model."""

    neurons: str | None = None
    op: str = "degrade"
    part: str = "both"
    scope: str = "answer"

    @property
    def label(self) -> str:
        return "original" if self.neurons is None else f"{self.op}/{self.part}"


@dataclass(frozen=True)
class EvalSettings:
    task: str
    answer_format: str = "text"
    seed: int = 0
    instances: int | None = None  # identification instances (they supply the one-shot examples)
    eval_instances: int | None = None
    data_files: Any = None  # "shipped", {split: path}, or None for the hub
    prefix_cache: str | None = None

    def metadata(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "instances": self.instances,
            "eval_instances": self.eval_instances,
            "data_files": self.data_files,
        }


def _predictions(samples: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for sample in samples:
        scores = [float(r[0]) for r in sample["filtered_resps"]]
        doc = sample["doc"]
        prediction = max(range(len(scores)), key=scores.__getitem__)
        rows.append(
            {
                "instance_id": str(doc["instance_id"]),
                "proxy": int(doc["proxy"]),
                "gold": int(doc["gold"]),
                "prediction": prediction,
                "correct": prediction == int(doc["gold"]),
                "scores": scores,
            }
        )
    return sorted(rows, key=lambda r: (r["instance_id"], r["proxy"]))


def check_conditions(conditions: list[Condition], neuron_counts: list[int] | None = None) -> None:
    """Every neuron set readable, of the model's shape, and changing at least one neuron: checked for all
    conditions before the model is loaded (shape: right after), so a bad one costs no evaluation."""
    from neuronllm.intervene import PARTS, neuron_factors, operator_factors
    from neuronllm.lm_eval_model import SCOPES, check_condition
    from neuronllm.neurons import NeuronSet

    for condition in conditions:
        if condition.neurons is None:
            continue
        operator_factors(condition.op)
        if condition.part not in PARTS:
            raise UserError(f"unknown part {condition.part!r}: expected good, bad or both")
        if condition.scope not in SCOPES:
            raise UserError(f"unknown scope {condition.scope!r}: expected answer or all")
        neuron_set = NeuronSet.load(condition.neurons, neuron_counts)
        check_condition(neuron_set, condition.neurons, condition.op, condition.part,
                        neuron_factors(neuron_set, condition.op, condition.part))


def evaluate(
    model_spec: str,
    settings: EvalSettings,
    conditions: list[Condition],
    outputs: list[str | Path] | None = None,
    batch_size: int = 1,
    loaded: LoadedModel | None = None,
) -> list[dict[str, Any]]:
    """Run lm-eval once per condition on one loaded model; write each result if `outputs` is given."""
    import lm_eval
    from lm_eval.tasks import TaskManager

    from neuronllm._lm_eval_plugin import tasks_dir
    from neuronllm.lm_eval_model import NeuronLLM
    from neuronllm.lm_eval_tasks import find_task, load_proxies
    from neuronllm.prefix_cache import PrefixCache
    from neuronllm.quiet import without_git_noise

    task = find_task(settings.task, settings.answer_format)
    if outputs is not None and len(outputs) != len(conditions):
        raise ValueError("one output path per condition")
    check_conditions(conditions)
    load_proxies(task, "evaluate", settings.answer_format, settings.seed, settings.instances,
                 settings.eval_instances, settings.data_files)  # bad data fails before the model loads
    loaded = loaded or load_model(model_spec)
    check_conditions(conditions, loaded.neuron_counts)
    prefix_cache = PrefixCache(loaded, settings.prefix_cache)
    # Only the AQUA tasks: indexing lm-eval's thousands of built-in task files costs ~7 s a job.
    task_manager = TaskManager(include_path=tasks_dir(), include_defaults=False, metadata=settings.metadata())
    logging.getLogger("lm_eval").setLevel(logging.WARNING)
    results = []
    for index, condition in enumerate(conditions):
        lm = NeuronLLM(
            pretrained=loaded,
            neurons=condition.neurons,
            op=condition.op,
            part=condition.part,
            scope=condition.scope,
            prefix_cache=prefix_cache,
            batch_size=batch_size,
        )
        with without_git_noise():
            out = lm_eval.simple_evaluate(
                model=lm, tasks=[task.lm_eval_name], task_manager=task_manager, log_samples=True, verbosity="WARNING"
            )
        if out is None or task.lm_eval_name not in out.get("samples", {}):
            raise UserError(f"lm-eval returned no results for {task.lm_eval_name}")
        samples = out["samples"][task.lm_eval_name]
        predictions = _predictions(samples)
        result = {
            "model": model_spec,
            "model_identity": loaded.identity,
            "task": task.name,
            "lm_eval_task": task.lm_eval_name,
            "condition": asdict(condition) | {"label": condition.label},
            "neuron_set_digest": lm.neuron_set.digest() if lm.neuron_set else None,
            "neurons_changed": len(lm.factors),
            "settings": asdict(settings),
            "data_source": sorted({str(s["doc"].get("data_source", "")) for s in samples}),
            "acc": accuracy([p["correct"] for p in predictions]),
            "comprehension": comprehension((p["instance_id"], p["correct"]) for p in predictions),
            "lm_eval_metrics": {k: v for k, v in out["results"][task.lm_eval_name].items() if isinstance(v, (int, float))},
            "n_proxies": len(predictions),
            "n_instances": len({p["instance_id"] for p in predictions}),
            "predictions": predictions,
            "versions": {"neuronllm": __version__, "lm_eval": lm_eval.__version__ if hasattr(lm_eval, "__version__") else "?"},
        }
        if outputs is not None:
            write_json(outputs[index], result)
        results.append(result)
    return results
