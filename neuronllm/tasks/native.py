"""The native format: each AQUA task posed the way it is normally posed, as a plain lm-eval cloze.

No role, no rule, no lettered options, no one-shot example: the prompt is the task YAML's own
`doc_to_text` (tasks/aqua/aqua_*_native.yaml), and the continuations are the task's answers —
every label of a label task (NER's coarse entity types, chunking's phrase types, sentiment's two
polarities), or the question's own choices in the dataset's order (CommonsenseQA's five). lm-eval
scores them itself (`output_type: multiple_choice`, metrics acc and acc_norm).

The documents are the AQUA evaluation's *instances*, read by the same loader from the same spec, data
option and seed (data.load_task_data): one document per instance, keyed by the instance key the
instance's three proxies carry, so a native evaluation pairs with an AQUA one instance by instance
(transfer.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from neuronllm.errors import UserError
from neuronllm.tasks.adapters import Instance
from neuronllm.tasks.data import TaskData

if TYPE_CHECKING:
    import datasets

NATIVE = "native"


def native_choices(task: TaskData, instance: Instance) -> list[str]:
    """The continuations: the instance's own choices (multiple choice) or every label of the task."""
    choices = list(instance.choices) if instance.choices else list(task.labels)
    if instance.answer not in choices:
        raise UserError(
            f"task {task.name}: instance {instance.source} answers {instance.answer!r}, not one of its native choices"
        )
    return choices


def native_document(task: TaskData, instance: Instance) -> dict[str, Any]:
    """The lm-eval document of one instance: its stem fields (sentence, span, question) and choices."""
    choices = native_choices(task, instance)
    return {
        "instance_id": instance.instance_id,  # what the instance's AQUA proxies carry: the pairing key
        "proxy": 0,
        "choices": choices,
        "options": choices,
        "gold": choices.index(instance.answer),
        "answer_format": NATIVE,
        "source_id": instance.source_id,
        **instance.fields,
    }


def native_documents(task: TaskData) -> list[dict[str, Any]]:
    return [native_document(task, instance) for instance in task.evaluate]


def build_native_dataset(spec: Mapping[str, Any], **options: Any) -> datasets.DatasetDict:
    """lm-eval `custom_dataset` of a native task: the `evaluate` split, one document per instance.
    Options as the AQUA tasks' (seed, instances, eval_instances, data_files), checked the same way."""
    import datasets

    from neuronllm.tasks.data import load_task_data
    from neuronllm.tasks.lm_eval_tasks import check_metadata, parse_data_files, positive_or_none, seed_value
    from neuronllm.tasks.spec import check_spec

    check_metadata(options)
    check_spec(spec, f"task {spec.get('name', '?') if isinstance(spec, Mapping) else '?'}")
    task = load_task_data(
        spec,
        seed_value(options.get("seed")),
        positive_or_none("instances", options.get("instances")),
        positive_or_none("eval_instances", options.get("eval_instances")),
        parse_data_files(options.get("data_files")),
    )
    rows = [doc | {"data_source": task.source, "data_digest": task.digest} for doc in native_documents(task)]
    return datasets.DatasetDict({"evaluate": datasets.Dataset.from_list(rows)})
