"""Evaluate a model through lm-eval, unmodified or under interventions: AQUA tasks, or any lm-eval task.

AQUA tasks write one JSON per condition: accuracy over proxy QAs, comprehension over instances, and
every proxy's prediction and option scores, plus what produced them. Any other installed lm-eval task
(`evaluate_lm_eval_task`) writes lm-eval's own metrics and per-document scores, with the same
provenance. All conditions of a call share one loaded model and one NeuronLLM, and the task is built
once: lm-eval's evaluator runs once per condition (a pass, `NeuronLLM.condition_pass`); the first pass
scores every condition (sharing each prompt's prefix), later passes read the stored scores and must
send the first pass's requests (neuronllm/evaluation/passes.py refuses a pass that does not).
Everything is checked (conditions, neuron sets, data) before the model loads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from neuronllm import __version__
from neuronllm.analysis.evaluation_file import summary, warn_degenerate
from neuronllm.atomic import write_json
from neuronllm.digests import provenance_digests
from neuronllm.errors import UserError
from neuronllm.model.condition import Condition
from neuronllm.model.loading import LoadedModel, load_model

if TYPE_CHECKING:
    from lm_eval.tasks import TaskManager

    from neuronllm.evaluation.lm_eval_model import NeuronLLM


@dataclass(frozen=True)
class EvalSettings:
    task: str
    answer_format: str = "text"
    seed: int = 0
    instances: int | None = None  # identification instances (they supply the one-shot examples)
    eval_instances: int | None = None
    data_files: Any = None  # "shipped", "hub", {split: path}, or None (the hub, else shipped)
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
        options = list(doc.get("options") or doc.get("choices") or [])
        norm = {"correct_norm": bool(sample["acc_norm"])} if "acc_norm" in sample else {}
        rows.append(
            {
                "instance_id": str(doc["instance_id"]),
                "proxy": int(doc["proxy"]),
                "gold": int(doc["gold"]),
                "prediction": prediction,
                "correct": prediction == int(doc["gold"]),
                "scores": scores,
                "gold_text": options[int(doc["gold"])] if options else None,
                "predicted_text": options[prediction] if options else None,
                **norm,  # lm-eval's acc_norm of this document (length-normalised choice)
            }
        )
    return sorted(rows, key=lambda r: (r["instance_id"], r["proxy"]))


def check_conditions(conditions: list[Condition], neuron_counts: list[int] | None = None) -> None:
    """Every neuron set readable, of the model's shape, and changing at least one neuron: checked for all
    conditions before the model is loaded (shape: right after), so a bad one costs no evaluation."""
    from neuronllm.neurons import NeuronSet

    for condition in conditions:  # names and factors were checked when each Condition was built
        if condition.neurons is not None:
            condition.checked_factors(NeuronSet.load(condition.neurons, neuron_counts), condition.neurons)


def _model(
    model_spec: str,
    conditions: list[Condition],
    loaded: LoadedModel | None,
    model_args: dict[str, Any],
    prefix_cache: str | None,
    batch_size: int,
) -> tuple[LoadedModel, NeuronLLM]:
    """One NeuronLLM holding every condition (checked before and right after the model loads)."""
    from neuronllm.evaluation.lm_eval_model import NeuronLLM
    from neuronllm.model.loading import RUNTIME_ARGUMENTS, config_neuron_counts

    check_conditions(conditions, None if loaded else config_neuron_counts(model_spec, convert=False, **model_args))
    loaded = loaded or load_model(model_spec, **model_args)
    check_conditions(conditions, loaded.neuron_counts)
    # Arguments that act at scoring time (max_length, truncation, ...) must reach the scoring model too:
    # given to the loader alone, they would be recorded in the provenance and change nothing.
    runtime = {k: v for k, v in model_args.items() if k in RUNTIME_ARGUMENTS and k not in ("device", "batch_size")}
    lm = NeuronLLM(
        pretrained=loaded, prefix_cache=prefix_cache, batch_size=model_args.get("batch_size", batch_size), **runtime
    )
    lm.set_conditions(list(conditions))
    return loaded, lm


def neuron_set_record(condition: Condition) -> dict[str, Any] | None:
    """What the condition's neuron file says about itself (method, budget, task, null index) and the
    neurons changed per side: what `metrics` checks --info and null sets against."""
    from neuronllm.neurons import NeuronSet

    if condition.neurons is None:
        return None
    neuron_set = NeuronSet.load(condition.neurons)
    provenance = neuron_set.provenance
    return {
        "digest": neuron_set.digest(),
        "method": provenance.get("method") or ("null" if "index" in provenance else None),
        "budget": provenance.get("budget"),
        "task": provenance.get("task"),
        "null_index": provenance.get("index"),
        "null": provenance.get("null"),  # uniform / matched: what kind of band the set may join
        "matched_to": provenance.get("matched_to"),
        "steps": (provenance.get("config") or {}).get("steps"),
        "changed": {
            "good": len(neuron_set.good) if condition.part in ("good", "both") else 0,
            "bad": len(neuron_set.bad) if condition.part in ("bad", "both") else 0,
        },
    }


def _provenance(model_spec: str, loaded: LoadedModel, lm: Any, condition: Condition) -> dict[str, Any]:
    import lm_eval

    return {
        "model": model_spec,
        "model_identity": loaded.identity,
        "condition": condition.record(),
        "neuron_set_digest": lm.neuron_set_digest,
        "neurons_changed": lm.neurons_changed,
        "neuron_set": neuron_set_record(condition),
        "versions": {"neuronllm": __version__, "lm_eval": getattr(lm_eval, "__version__", "?")},
    }


def number_settings(settings: EvalSettings) -> dict[str, Any]:
    """The settings that determine an evaluation's numbers (the prefix cache, a directory, does not)."""
    return {k: v for k, v in asdict(settings).items() if k != "prefix_cache"}


def load_tasks(task_manager: Any, name: str) -> dict[str, Any]:
    """The task built once (its dataset, its documents) and reused by every condition; as simple_evaluate
    does, a task without a few-shot setting runs zero-shot with lm-eval's fixed few-shot seed."""
    from neuronllm.quiet import quiet_lm_eval

    with quiet_lm_eval():
        loaded = task_manager.load([name])
    for task in loaded["tasks"].values():
        if task.get_config("num_fewshot") is None:
            task.set_config(key="num_fewshot", value=0)
        task.set_fewshot_seed(seed=1234)
    return loaded


def _run(lm: Any, task_name: str, loaded_tasks: dict[str, Any], limit: int | None = None) -> dict[str, Any]:
    """One condition through lm-eval's evaluator (its request building, filters, metrics, aggregation).

    lm_eval.evaluator.evaluate rather than simple_evaluate: the task is built once for all conditions,
    and no environment report (`git describe`, torch's collect_env) is produced per condition. Seeds
    as simple_evaluate sets them; no bootstrap of lm-eval's stderrs (stats.py computes the intervals)."""
    import random

    import numpy as np
    import torch
    from lm_eval.evaluator import evaluate as lm_eval_evaluate

    from neuronllm.quiet import quiet_lm_eval, without_git_noise

    random.seed(0)
    np.random.seed(1234)
    torch.manual_seed(1234)
    with without_git_noise(), quiet_lm_eval():
        out = lm_eval_evaluate(lm=lm, task_dict=loaded_tasks, limit=limit, bootstrap_iters=0, log_samples=True)
    if out is None or task_name not in out.get("samples", {}):
        raise UserError(f"lm-eval returned no results for {task_name}")
    return out


def evaluate(
    model_spec: str,
    settings: EvalSettings,
    conditions: list[Condition],
    outputs: Sequence[str | Path] | None = None,
    batch_size: int = 1,
    loaded: LoadedModel | None = None,
    model_args: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """An AQUA task under every condition on one loaded model; write each result if `outputs` is given."""
    from lm_eval.tasks import TaskManager

    from neuronllm.package_data import tasks_dir
    from neuronllm.tasks.lm_eval_tasks import find_task, load_proxies

    task = find_task(settings.task, settings.answer_format)
    if outputs is not None and len(outputs) != len(conditions):
        raise ValueError("one output path per condition")
    data, _ = load_proxies(
        task,
        "evaluate",
        settings.answer_format,
        settings.seed,
        settings.instances,
        settings.eval_instances,
        settings.data_files,
    )  # bad data fails before the model loads
    if settings.eval_instances is not None and settings.eval_instances > len(data.evaluate):
        from neuronllm.errors import warn

        warn(
            f"--eval-instances {settings.eval_instances}: the evaluation split has {len(data.evaluate)} usable "
            f"instances; using {len(data.evaluate)}"
        )
    task_digest = task.digest
    loaded, lm = _model(model_spec, conditions, loaded, model_args or {}, settings.prefix_cache, batch_size)
    # Only the AQUA tasks: indexing lm-eval's thousands of built-in task files costs ~7 s a job.
    task_manager = TaskManager(include_path=tasks_dir(), include_defaults=False, metadata=settings.metadata())
    loaded_tasks = load_tasks(task_manager, task.lm_eval_name)
    results = []
    for index, condition in enumerate(conditions):
        with lm.condition_pass(index):
            out = _run(lm, task.lm_eval_name, loaded_tasks)
        samples = out["samples"][task.lm_eval_name]
        predictions = _predictions(samples)
        read = sorted({str(s["doc"].get("data_digest", "")) for s in samples})
        if read != [data.digest]:  # the files changed between the check and lm-eval's read
            raise UserError(f"task {task.name}: the data files changed while the evaluation ran; run it again")
        result = _provenance(model_spec, loaded, lm, condition) | {
            "digests": provenance_digests(data.digest, task_digest, loaded.fingerprint, number_settings(settings)),
            "task": task.name,
            "lm_eval_task": task.lm_eval_name,
            "settings": asdict(settings),
            "data_source": sorted({str(s["doc"].get("data_source", "")) for s in samples}),
            **summary(predictions, settings.answer_format),  # the numbers `metrics` recomputes and checks
            "lm_eval_metrics": {
                k: v for k, v in out["results"][task.lm_eval_name].items() if isinstance(v, (int, float))
            },
            "predictions": predictions,
        }
        warn_degenerate(predictions, condition.label)
        if outputs is not None:
            write_json(outputs[index], result)
        results.append(result)
    return results


def lm_eval_task_manager(include_path: str | None = None) -> TaskManager:
    """lm-eval's own tasks plus the project's (AQUA and the general tasks shipped in tasks/)."""
    from lm_eval.tasks import TaskManager

    from neuronllm.package_data import tasks_dir

    return TaskManager(include_path=[tasks_dir()] + ([include_path] if include_path else []))


def check_lm_eval_task(name: str, task_manager: Any) -> None:
    import difflib

    known = set(task_manager.all_tasks)
    if name not in known:
        close = difflib.get_close_matches(name, sorted(known), n=1)
        raise UserError(f"unknown lm-eval task {name!r}" + (f"; did you mean {close[0]!r}?" if close else ""))


def evaluate_lm_eval_task(
    model_spec: str,
    task_name: str,
    conditions: list[Condition],
    outputs: Sequence[str | Path] | None = None,
    limit: int | None = None,
    batch_size: int = 1,
    loaded: LoadedModel | None = None,
    model_args: dict[str, Any] | None = None,
    include_path: str | None = None,
    local_tasks_only: bool = False,
) -> list[dict[str, Any]]:
    """Any installed lm-eval task by name, under every condition; lm-eval's metrics per condition.

    Scores per document are kept ("samples": the filtered responses), so effects can be paired.
    `local_tasks_only` indexes only the project's tasks folder (seconds instead of lm-eval's thousands).
    """
    from lm_eval.tasks import TaskManager

    from neuronllm.package_data import tasks_dir

    if outputs is not None and len(outputs) != len(conditions):
        raise ValueError("one output path per condition")
    if local_tasks_only:
        task_manager = TaskManager(
            include_path=[tasks_dir()] + ([include_path] if include_path else []), include_defaults=False
        )
    else:
        task_manager = lm_eval_task_manager(include_path)
    check_lm_eval_task(task_name, task_manager)
    loaded, lm = _model(model_spec, conditions, loaded, model_args or {}, None, batch_size)
    loaded_tasks = load_tasks(task_manager, task_name)
    results = []
    for index, condition in enumerate(conditions):
        with lm.condition_pass(index):
            out = _run(lm, task_name, loaded_tasks, limit)
        metrics = {
            k: v
            for k, v in out["results"][task_name].items()
            if isinstance(v, (int, float)) and not isinstance(v, bool)
        }
        names = {m.split(",")[0] for m in metrics}
        samples = [
            {
                "doc_id": s.get("doc_id"),
                "target": str(s.get("target")),
                "response": _plain(s.get("filtered_resps")),
                "metrics": {name: _plain(s[name]) for name in names if name in s},
            }
            for s in out["samples"][task_name]
        ]
        result = _provenance(model_spec, loaded, lm, condition) | {
            "digests": provenance_digests(None, None, loaded.fingerprint, {"task": task_name, "limit": limit}),
            "task": task_name,
            "lm_eval_task": task_name,
            "limit": limit,
            "metrics": metrics,
            "n_documents": len(samples),
            "samples": samples,
        }
        if outputs is not None:
            write_json(outputs[index], result)
        results.append(result)
    return results


def _plain(value: Any) -> Any:
    """lm-eval responses as JSON: tuples to lists, numbers to floats, anything else to text."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    return str(value)
