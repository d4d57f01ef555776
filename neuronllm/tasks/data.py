"""Task data: load a dataset from the hub or from local files in the hub's schema, and turn each row
into a labelled `Instance` (a question with a gold answer and the pool it can draw distractors from).

A task is described by a *spec* (a dict in the task's lm-eval YAML, under `dataset_kwargs.spec`), so a
new dataset needs a config entry, not code, as long as its rows fit one of the adapters below:
  span_label         token list + integer tag list (Few-NERD IO tags, CoNLL IOB tags): one instance per
                     sentence, about one tagged span picked by the seed; the answer is the span's type
  sentence_label     a text field + an integer label (SST-2)
  multiple_choice    a question + choices {label, text} + answerKey (CommonsenseQA)
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuronllm.digests import data_digest, files_digest, regular_file
from neuronllm.errors import UserError, warn
from neuronllm.tasks.adapters import Instance, answer_labels, instances_from_rows, label_frequencies


@dataclass
class TaskData:
    """Both splits of a task plus the label distribution distractors are drawn from."""

    name: str
    identify: list[Instance]  # the instances identification attributes (limited by `instances`)
    evaluate: list[Instance]
    examples: list[Instance] = field(default_factory=list)  # the whole identification split: one-shot pool
    label_counts: Counter = field(default_factory=Counter)  # label -> frequency in the identify split
    labels: tuple[str, ...] = ()  # the task's label set (display names); empty for tasks with own options
    source: str = ""  # which data: "hub", "shipped" or "local files"
    digest: str = ""  # the content of the data read (digests.data_digest): what pairing and reuse compare


def parse_data_files(value: Any, what: str = "data_files") -> str | Mapping[str, Any] | None:
    """`shipped`, `hub`, a {split: path} mapping (or its JSON text), or nothing (None: the hub, else the
    shipped data). The one reading of the option, for the CLI's --data-files and lm-eval's --metadata;
    `what` names the option in the one-line error."""
    expected = f"{what} must be 'shipped', 'hub' or a JSON object {{split: path}}"
    if value in (None, "", "null", "none"):
        return None
    if isinstance(value, str) and value not in ("shipped", "hub"):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            raise UserError(f"{expected}, got {value!r}") from None
        if not isinstance(value, Mapping):
            raise UserError(f"{expected}, got JSON {type(value).__name__}")
    if not isinstance(value, (str, Mapping)):
        raise UserError(f"{expected}, got {type(value).__name__}")
    return value


def shipped_data_dir() -> Path:
    """The project's own small datasets (hub schema): the repository's data/ or the wheel's copy."""
    from neuronllm.package_data import shipped_dir

    return Path(shipped_dir("data"))


def _resolve_data_files(data_files: Any, base: Path | None) -> Any:
    """Relative paths resolve against `base` (lm-eval would use the working directory instead)."""

    def resolve(path: str) -> str:
        if not isinstance(path, str) or not path:
            raise UserError(f"data_files: a path must be a non-empty string, got {path!r}")
        p = Path(path).expanduser()
        if not p.is_absolute() and base is not None:
            p = base / p
        p = p.resolve()
        if not p.exists():
            raise UserError(f"data file not found: {p}")
        if not p.is_dir():
            regular_file(p, "data")
        return str(p)

    if isinstance(data_files, str):
        return resolve(data_files)
    if isinstance(data_files, Sequence):
        if not data_files:
            raise UserError("data_files: an empty list of files")
        return [resolve(p) for p in data_files]
    if isinstance(data_files, Mapping):
        return {split: _resolve_data_files(paths, base) for split, paths in data_files.items()}
    raise UserError(f"data_files must be a path, a list or a split->path mapping, got {type(data_files).__name__}")


def _file_format(path: str) -> str:
    suffix = Path(path).suffix.lower()
    formats = {".jsonl": "json", ".json": "json", ".parquet": "parquet", ".csv": "csv"}
    if suffix not in formats:
        raise UserError(f"{path}: unsupported data file type {suffix!r} (use .jsonl, .json, .parquet or .csv)")
    return formats[suffix]


def load_split_rows(
    spec: Mapping[str, Any], role: str, data_files: Any = None, base: Path | None = None
) -> tuple[Any, str, str]:
    """The rows of the split playing `role` (identify/evaluate): from local files when given, else the hub.
    Returns (rows, source name, content digest of the split)."""
    import datasets

    split = spec["splits"][role]
    if data_files is not None:
        files = _resolve_data_files(data_files, base)
        if not isinstance(files, Mapping):
            raise UserError(f"task {spec['name']}: data_files must map split names ({split}, ...) to files")
        if split not in files:
            raise UserError(f"task {spec['name']}: data_files has no {split!r} split (has {', '.join(files)})")
        paths = files[split] if isinstance(files[split], list) else [files[split]]
        for path in paths:
            if Path(path).is_file() and Path(path).stat().st_size == 0:
                raise UserError(f"{path}: the data file is empty")
            if Path(path).is_dir():
                raise UserError(f"{path}: a directory, not a data file")
        file_format = _file_format(paths[0])
        if file_format in ("json", "csv"):
            for path in paths:
                _check_utf8(path)
        try:
            with _quiet_datasets():
                dataset = datasets.load_dataset(file_format, data_files={split: paths}, split=split)
        except Exception as err:  # datasets raises many types for unreadable files
            first_line = (str(err).strip().splitlines() or ["empty or unreadable"])[0][:200]
            raise UserError(f"{paths[0]}: cannot read ({type(err).__name__}: {first_line})") from None
        return dataset, paths[0], files_digest(paths)
    hub = spec["hub"]
    try:
        dataset = datasets.load_dataset(hub["path"], hub.get("name"), split=split)
    except Exception as err:
        raise HubUnreachable(
            f"task {spec['name']}: cannot load {hub['path']} split {split!r} from the hub "
            f"({type(err).__name__}); offline, pass data_files (the project ships data/{spec['name']}/)",
            offline=_is_connectivity_error(err),
        ) from None
    return dataset, f"{hub['path']}:{split}", f"hub:{hub['path']}:{hub.get('name')}:{split}:{dataset._fingerprint}"


def _check_utf8(path: str) -> None:
    """Text data files must be UTF-8 (pyarrow reads other bytes without a word and fails later, deep in a row)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as handle:
        position = 0
        while chunk := handle.read(1 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as err:
                raise UserError(f"{path}: not UTF-8 text (byte {position + err.start})") from None
            position += len(chunk)
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            raise UserError(f"{path}: not UTF-8 text (truncated at the end)") from None


@contextmanager
def _quiet_datasets() -> Iterator[None]:
    """Local files load in a blink: no "Generating split" bars, and a broken file's error is ours to say
    in one line (datasets would log its own traceback first)."""
    import datasets

    bars = datasets.utils.is_progress_bar_enabled()
    level = datasets.logging.get_verbosity()
    datasets.utils.disable_progress_bars()
    datasets.logging.set_verbosity(datasets.logging.CRITICAL)
    try:
        yield
    finally:
        datasets.logging.set_verbosity(level)
        if bars:
            datasets.utils.enable_progress_bars()


class HubUnreachable(UserError):
    """The hub dataset could not be loaded; `offline` when the cause is the network or offline mode."""

    def __init__(self, message: str, offline: bool):
        super().__init__(message)
        self.offline = offline


def hub_offline() -> bool:
    """The environment forbids hub access (the project's tests and default pipeline run this way)."""
    return any(
        os.environ.get(v, "").lower() in ("1", "true", "yes", "on") for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE")
    )


def _is_connectivity_error(err: BaseException) -> bool:
    """Whether a hub failure is about reaching the hub (not a wrong name or a broken dataset)."""
    if hub_offline():
        return True
    seen: BaseException | None = err
    while seen is not None:
        name = type(seen).__name__
        text = str(seen).lower()
        if (
            "connection" in name.lower()
            or "offline" in name.lower()
            or "timeout" in name.lower()
            or any(
                word in text
                for word in ("offline", "connection", "resolve host", "network is unreachable", "max retries")
            )
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def distinct_instances(instances: list[Instance], source: str) -> list[Instance]:
    """The split's instances with repeated questions left out, with one warning naming the rows: a row
    given twice (the same fields, answer and options) is one question, not two independent instances;
    counted twice it would narrow every interval and weigh that question double. The first is kept."""
    kept: list[Instance] = []
    first: dict[tuple[Any, ...], Instance] = {}
    repeated: list[str] = []
    for instance in instances:
        key = (tuple(sorted(instance.fields.items())), instance.answer, tuple(sorted(set(instance.candidates))))
        if key in first:
            repeated.append(f"{instance.source.rsplit(':', 1)[-1]} (= {first[key].source.rsplit(':', 1)[-1]})")
        else:
            first[key] = instance
            kept.append(instance)
    if repeated:
        shown = ", ".join(repeated[:5]) + (", ..." if len(repeated) > 5 else "")
        warn(f"{source}: {len(repeated)} repeated question(s) left out (rows {shown}): each question counts once")
    return kept


def load_task_data(
    spec: Mapping[str, Any],
    seed: int = 0,
    identify_limit: int | None = None,
    evaluate_limit: int | None = None,
    data_files: Any = None,
    base: Path | None = None,
) -> TaskData:
    """Both splits as Instances. Evaluation instances equal to an identification one are dropped, so
    neurons are never evaluated on the questions they were found with.

    data_files: None (the hub; where the hub cannot be reached, the shipped data with one warning),
    "hub" (the hub, or an error), "shipped", or {split: path(s)}. TaskData.source records which.
    """
    if data_files is None:
        try:
            return load_task_data(spec, seed, identify_limit, evaluate_limit, "hub", base)
        except HubUnreachable as err:
            if not err.offline or spec.get("shipped_files") is None:
                raise
            warn(
                f"the hub is not reachable: task {spec['name']} runs on the project's shipped data "
                f"(data/{spec['name']}/); pass data_files=hub to require the hub"
            )
            return load_task_data(spec, seed, identify_limit, evaluate_limit, "shipped", base)
    source = data_files if data_files in ("hub", "shipped") else "local files"
    if data_files == "hub":
        data_files = None
    if data_files == "shipped":
        data_files, base = spec.get("shipped_files"), shipped_data_dir()
        if data_files is None:
            raise UserError(f"task {spec['name']}: no shipped data for this task")
    identify_rows, identify_source, identify_digest = load_split_rows(spec, "identify", data_files, base)
    evaluate_rows, evaluate_source, evaluate_digest = load_split_rows(spec, "evaluate", data_files, base)
    examples = distinct_instances(
        instances_from_rows(spec, identify_rows, identify_source, seed, None, "identify"), identify_source
    )
    identify = examples[:identify_limit]
    seen = {(tuple(sorted(i.fields.items())), i.answer) for i in examples}
    evaluate = [
        i
        for i in distinct_instances(
            instances_from_rows(spec, evaluate_rows, evaluate_source, seed, None, "evaluate"), evaluate_source
        )
        if (tuple(sorted(i.fields.items())), i.answer) not in seen
    ][:evaluate_limit]
    if not evaluate:
        raise UserError(f"{evaluate_source}: no evaluation instances left")
    return TaskData(
        spec["name"],
        identify,
        evaluate,
        examples,
        label_frequencies(spec, identify_rows),
        answer_labels(spec),
        source,
        data_digest({"identify": identify_digest, "evaluate": evaluate_digest}),
    )
