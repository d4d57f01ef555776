"""The functions the AQUA task YAMLs (tasks/aqua/) point lm-eval at, and the lookup of a task's spec.

lm-eval documents are proxy QAs (one per row); the `comprehension` metric (its aggregation is
neuronllm.analysis.metrics.comprehension, named in tasks/aqua/_aqua_base.yaml) regroups them by
instance: an instance is comprehended when at least 2 of its 3 proxies are answered correctly.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from neuronllm.errors import UserError
from neuronllm.lm_eval_adapter import LM_EVAL_METADATA
from neuronllm.tasks.aqua import EVAL_FORMATS, ProxyQA, build_split
from neuronllm.tasks.data import TaskData, load_task_data, parse_data_files
from neuronllm.tasks.spec import plain_yaml

if TYPE_CHECKING:
    import datasets

DATASET_OPTIONS = ("seed", "instances", "eval_instances", "data_files")


def check_metadata(options: Mapping[str, Any]) -> None:
    """lm-eval hands custom_dataset the task metadata, the model arguments and the user's --metadata in
    one dict. A key close to one of ours (`eval_instance`) is a one-line error listing the valid ones;
    a model argument passes; anything else is named in a one-line warning (other lm-eval backends
    have arguments we cannot know), never silently ignored."""
    import difflib

    from neuronllm.errors import warn
    from neuronllm.model.loading import valid_model_arguments

    model_arguments = set(valid_model_arguments()) | {"pretrained"}
    for key in options:
        if key in DATASET_OPTIONS or key in LM_EVAL_METADATA or key in model_arguments:
            continue
        close = difflib.get_close_matches(key, DATASET_OPTIONS, n=1, cutoff=0.75)
        if close:
            raise UserError(
                f"unknown --metadata key {key!r} (did you mean {close[0]!r}?); valid: {', '.join(DATASET_OPTIONS)}"
            )
        warn(
            f"--metadata key {key!r} is not an AQUA option and is ignored (AQUA options: {', '.join(DATASET_OPTIONS)})"
        )


def positive_or_none(name: str, value: Any) -> int | None:
    """A size option: None, or an integer >= 1 (one-line error otherwise)."""
    if value in (None, "", "null"):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise UserError(f"{name} must be a positive integer, got {value!r}") from None
    if isinstance(value, bool) or number < 1 or (isinstance(value, float) and value != number):
        raise UserError(f"{name} must be a positive integer, got {value!r}")
    return number


def seed_value(value: Any) -> int:
    """The --metadata seed: an integer >= 0 (a JSON integer or its digits), nothing else."""
    if value in (None, ""):
        return 0
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UserError(f"seed must be an integer >= 0, got {value!r}")
    return value


def build_dataset(spec: Mapping[str, Any], answer_format: str, **options: Any) -> datasets.DatasetDict:
    """lm-eval `custom_dataset`: a DatasetDict with `identify` and `evaluate` splits of proxy QAs.

    options: seed, instances, eval_instances, data_files (checked; lm-eval's own metadata and the model
    arguments arrive here too and are ignored). Each document records which data it came from: the
    source label and the content digest of the files read.
    """
    import datasets

    from neuronllm.tasks.spec import check_spec

    check_metadata(options)
    check_spec(spec, f"task {spec.get('name', '?') if isinstance(spec, Mapping) else '?'}")
    seed = seed_value(options.get("seed"))
    task = load_task_data(
        spec,
        seed,
        positive_or_none("instances", options.get("instances")),
        positive_or_none("eval_instances", options.get("eval_instances")),
        parse_data_files(options.get("data_files")),
    )
    splits = {
        role: datasets.Dataset.from_list(
            [
                p.as_doc() | {"data_source": task.source, "data_digest": task.digest}
                for p in build_split(spec, task, role, seed, answer_format)
            ]
        )
        for role in ("identify", "evaluate")
    }
    return datasets.DatasetDict(splits)


def general_dataset(name: str, **_lm_eval_options: Any) -> datasets.DatasetDict:
    """lm-eval `custom_dataset` of the general tasks (tasks/general/): the project's data/general/NAME.jsonl
    as a `test` split. They take no options (lm-eval also passes the model arguments; ignored)."""
    import datasets

    from neuronllm.tasks.data import shipped_data_dir

    known = sorted(p.stem for p in (shipped_data_dir() / "general").glob("*.jsonl"))  # a new file is a new dataset
    if name not in known:
        raise UserError(
            f"unknown general dataset {name!r}: expected one of {', '.join(known)} (data/general/NAME.jsonl)"
        )
    path = shipped_data_dir() / "general" / f"{name}.jsonl"
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    return datasets.DatasetDict({"test": datasets.Dataset.from_list(rows)})


def build_letter_dataset(**kwargs: Any) -> datasets.DatasetDict:
    return build_dataset(answer_format="letter", **kwargs)


def build_text_dataset(**kwargs: Any) -> datasets.DatasetDict:
    return build_dataset(answer_format="text", **kwargs)


def normalised_prediction(scores: Sequence[float], choices: Sequence[str]) -> int:
    """lm-eval's acc_norm choice: the highest log-likelihood per character of the continuation
    (ConfigurableTask.process_results: argmax(lls / len(choice)); first on ties, as np.argmax)."""
    import numpy as np

    return int(np.argmax(np.asarray(scores, dtype=np.float64) / np.array([float(len(c)) for c in choices])))


def process_results(doc: Mapping[str, Any], results: Sequence[tuple[float, bool]]) -> dict[str, Any]:
    """Per proxy: correct when the gold choice has the highest log-likelihood (raw sum, eq. 2; `acc`,
    what the tables read), and by lm-eval's length normalisation (`acc_norm`, reported beside it)."""
    scores = [loglikelihood for loglikelihood, _ in results]
    prediction = max(range(len(scores)), key=scores.__getitem__)
    correct = prediction == int(doc["gold"])
    correct_norm = normalised_prediction(scores, doc["choices"]) == int(doc["gold"])
    return {"acc": float(correct), "acc_norm": float(correct_norm), "comprehension": (str(doc["instance_id"]), correct)}


# ---------------------------------------------------------------------------------------------
# Task lookup for identification and the CLI (evaluation goes through lm-eval's TaskManager).


@dataclass
class AquaTask:
    name: str  # ner, chunking, ...
    lm_eval_name: str  # aqua_ner (letter) / aqua_ner_text (text)
    spec: dict[str, Any]
    yaml_path: Path  # the YAML that holds the spec
    lm_eval_yaml: Path | None = None  # the YAML of lm_eval_name (the _text variant includes yaml_path)

    @property
    def files(self) -> list[Path]:
        """The task's YAML chain and templates: what its numbers depend on besides data (Snakemake inputs)."""
        from neuronllm.tasks.spec import task_files

        return task_files(self.lm_eval_yaml or self.yaml_path)

    @property
    def digest(self) -> str:
        """Content identity of the task spec after include resolution, with its templates."""
        from neuronllm.tasks.spec import spec_digest

        return spec_digest(self.lm_eval_yaml or self.yaml_path)


def aqua_task_names(include_path: str | Path | None = None) -> list[str]:
    """Short names (ner, ...) of the AQUA tasks: the same scan as find_task, so the config check, the
    CLI and lm-eval agree on what exists."""
    return sorted(task_yaml_paths(include_path))


GENERAL_KIND = "general"  # `metadata: {kind: general}`: a task of the specificity matrix, not an AQUA task


def _general_task_configs() -> dict[str, dict[str, Any]]:
    """{lm-eval name: plain YAML} of every task in tasks/ whose metadata says `kind: general`."""
    from neuronllm.package_data import tasks_dir

    found = {}
    for path in sorted(Path(tasks_dir()).rglob("*.yaml")):
        cfg = plain_yaml(path)
        if (
            isinstance(cfg, dict)
            and isinstance(cfg.get("task"), str)
            and (cfg.get("metadata") or {}).get("kind") == GENERAL_KIND
        ):
            found[cfg["task"]] = cfg
    return found


def general_task_names() -> list[str]:
    """lm-eval names of the general tasks (`metadata: {kind: general}` in tasks/): the specificity matrix's columns."""
    return sorted(_general_task_configs())


def task_display_labels(include_path: str | Path | None = None) -> dict[str, str]:
    """{task: display label}: an AQUA task's `spec.label`, a general task's `metadata.label`, else its name.
    The report reads its headers here, so a new task's YAML is the one place its label is written."""
    labels = {}
    for name, path in task_yaml_paths(include_path).items():
        spec = (plain_yaml(path).get("dataset_kwargs") or {}).get("spec") or {}
        labels[name] = str(spec.get("label") or name)
    for name, cfg in _general_task_configs().items():
        labels[name] = str(cfg["metadata"].get("label") or name)
    return labels


def task_yaml_paths(include_path: str | Path | None = None) -> dict[str, Path]:
    """{short task name: YAML} for every AQUA task (a YAML with its own `dataset_kwargs.spec`; the _text
    variants include theirs), in tasks/ and in `include_path`."""
    from neuronllm.package_data import tasks_dir

    roots = [Path(tasks_dir())] + ([Path(include_path)] if include_path else [])
    found: dict[str, Path] = {}
    for root in roots:
        for path in sorted(root.rglob("*.yaml")):
            spec = (plain_yaml(path).get("dataset_kwargs") or {}).get("spec")
            if isinstance(spec, dict) and "name" in spec:
                found[spec["name"]] = path
    return found


FORMAT_SUFFIX = {"letter": "", "text": "_text", "native": "_native"}  # aqua_ner, aqua_ner_text, aqua_ner_native


def find_task(name: str, answer_format: str = "letter", include_path: str | Path | None = None) -> AquaTask:
    """The AQUA task called `name` (or `aqua_name`), with a did-you-mean error for unknown names."""
    import difflib

    if answer_format not in EVAL_FORMATS:
        raise UserError(f"unknown answer format {answer_format!r}: expected one of {', '.join(EVAL_FORMATS)}")
    short = name.removeprefix("aqua_").removesuffix("_text").removesuffix("_native")
    paths = task_yaml_paths(include_path)
    if short not in paths:
        close = difflib.get_close_matches(short, list(paths), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UserError(f"unknown task {name!r} (known: {', '.join(sorted(paths))}){hint}")
    from neuronllm.tasks.spec import check_spec

    cfg = plain_yaml(paths[short])  # the file's own keys (lm-eval's reader adds nothing we read)
    if not isinstance(cfg.get("task"), str):
        raise UserError(f"{paths[short]}: 'task' must be the lm-eval task name")
    check_spec(cfg["dataset_kwargs"]["spec"], str(paths[short]))
    lm_eval_name = cfg["task"] + FORMAT_SUFFIX[answer_format]
    return AquaTask(
        short, lm_eval_name, dict(cfg["dataset_kwargs"]["spec"]), paths[short], lm_eval_yaml(paths[short], lm_eval_name)
    )


def lm_eval_yaml(spec_yaml: Path, lm_eval_name: str) -> Path | None:
    """The YAML beside `spec_yaml` that defines the lm-eval task `lm_eval_name`."""
    for path in sorted(spec_yaml.parent.glob("*.yaml")):
        if plain_yaml(path).get("task") == lm_eval_name:
            return path
    return None


def load_proxies(
    task: AquaTask,
    role: str,
    answer_format: str,
    seed: int = 0,
    instances: int | None = None,
    eval_instances: int | None = None,
    data_files: Any = None,
) -> tuple[TaskData, list[ProxyQA]]:
    """The proxy QAs of one split: the same documents the lm-eval task evaluates (the native format:
    none, its documents are the instances themselves, native.py)."""
    data = load_task_data(task.spec, seed, instances, eval_instances, data_files)
    if answer_format == "native":
        if role != "evaluate":
            raise UserError(
                "the native format is for evaluation: identification needs the AQUA proxies (letter or text)"
            )
        return data, []
    return data, build_split(task.spec, data, role, seed, answer_format)
