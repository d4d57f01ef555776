"""Hand-made AQUA evaluation files for the tests: one builder, typed by the schema the writer and the
reader share (neuronllm.analysis.evaluation_file), its numbers derived by the writer's own `summary`.
A test says what the model answered; the builder writes scores whose argmax is that answer."""

from __future__ import annotations

from typing import Any

from neuronllm.analysis.evaluation_file import EvaluationFile, NeuronSetRecord, Prediction, summary
from neuronllm.digests import object_digest

SETTINGS = {
    "task": "ner",
    "answer_format": "text",
    "seed": 0,
    "instances": 4,
    "eval_instances": 4,
    "data_files": "shipped",
    "prefix_cache": None,
}
DIGESTS = {"data": "d" * 32, "task_spec": "t" * 32, "model": "m" * 16, "settings": "s" * 16, "code": {"scorer": 2}}


def prediction(instance: int | str, proxy: int, options: list[str], gold_text: str, given: str) -> Prediction:
    """One proxy: the model gave `given` among `options` (scores: 0 for it, -1.5 for the others)."""
    chosen = options.index(given)
    return {
        "instance_id": instance if isinstance(instance, str) else f"evaluate:{instance}",
        "proxy": proxy,
        "gold": options.index(gold_text),
        "prediction": chosen,
        "correct": given == gold_text,
        "scores": [0.0 if n == chosen else -1.5 for n in range(len(options))],
        "gold_text": gold_text,
        "predicted_text": given,
    }


def from_correct(correct: list[list[bool]], right: str = "person", wrong: str = "place") -> list[Prediction]:
    """Predictions of len(correct) instances x proxies; gold `right` at option 0 of 2."""
    return [
        prediction(i, proxy, [right, wrong], right, right if ok else wrong)
        for i, row in enumerate(correct)
        for proxy, ok in enumerate(row)
    ]


def null_record(index: int, changed: dict[str, int] | None = None, kind: str = "uniform") -> NeuronSetRecord:
    """The neuron-set record of null draw `index` (its digest stands for the set's content)."""
    return {
        "digest": object_digest(["null", kind, index]),
        "method": "null",
        "budget": 100,
        "task": None,
        "null_index": index,
        "steps": None,
        "changed": changed or {"good": 100, "bad": 100},
        "null": kind,
        "matched_to": None,
    }


def method_record(method: str = "cni", changed: dict[str, int] | None = None) -> NeuronSetRecord:
    return {
        "digest": object_digest([method]),
        "method": method,
        "budget": 100,
        "task": "ner",
        "null_index": None,
        "steps": 20,
        "changed": changed or {"good": 100, "bad": 100},
    }


def evaluation(
    predictions: list[Prediction],
    op: str | None = None,
    part: str = "both",
    settings: dict[str, Any] | None = None,
    neurons: str = "set.json",
    neuron_set: NeuronSetRecord | None = None,
    task: str | None = None,
) -> EvaluationFile:
    """An evaluation file as `neuronllm evaluate` writes it (op None: the original)."""
    settings = dict(settings or SETTINGS) | ({"task": task} if task else {})
    record = None if op is None else (neuron_set or method_record(changed=_changed(part)))
    return {
        "model": "embedded",
        "task": settings["task"],
        "settings": settings,
        "data_source": ["shipped"],
        "digests": dict(DIGESTS),
        "condition": {
            "neurons": None if op is None else neurons,
            "op": op,
            "part": part,
            "label": "original" if op is None else f"{op}/{part}",
        },
        **summary(predictions, settings["answer_format"]),
        "predictions": predictions,
        "neurons_changed": 0 if op is None else 200,
        "neuron_set": record,
        "neuron_set_digest": None if record is None else record["digest"],
    }


def _changed(part: str) -> dict[str, int]:
    return {"good": 100 if part in ("good", "both") else 0, "bad": 100 if part in ("bad", "both") else 0}


def null_evaluation(
    predictions: list[Prediction], index: int, op: str = "degrade", part: str = "both", kind: str = "uniform"
) -> EvaluationFile:
    """Null draw `index` of a condition `op`/`part` (changing 100 good + 100 bad neurons where both)."""
    return evaluation(
        predictions, op, part, neurons=f"null{index}.json", neuron_set=null_record(index, _changed(part), kind)
    )
