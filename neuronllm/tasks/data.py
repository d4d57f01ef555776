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

import hashlib
import os
import random
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuronllm.digests import data_digest, files_digest, regular_file
from neuronllm.errors import UserError, warn

ADAPTERS = ("span_label", "sentence_label", "multiple_choice")
SPLIT_ROLES = ("identify", "evaluate")


@dataclass(frozen=True)
class Instance:
    """One original task instance, before AQUA turns it into proxy questions."""

    instance_id: str
    fields: dict[str, str]  # what the question stem template may use: sentence, span, question, ...
    answer: str  # gold option text
    candidates: tuple[str, ...] = ()  # the instance's own wrong options (multiple_choice); else empty
    choices: tuple[str, ...] = ()  # all its own options in the row's order (multiple_choice): the native format's
    source: str = ""  # "file:row" for error messages and provenance
    key: str = ""  # "split:row": what seeds use, so proxies do not depend on where the files live


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


def stable_seed(*parts: object) -> int:
    """A seed that is the same on every machine and Python run (unlike hash())."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()
    return int(digest[:16], 16)


def shipped_data_dir() -> Path:
    """The project's own small datasets (hub schema): the repository's data/ or the wheel's copy."""
    package = Path(__file__).resolve().parent.parent  # neuronllm/
    repo = package.parent / "data"  # installed, package.parent is site-packages: its data/ may be anyone's
    return repo if (repo / "make_shipped_data.py").is_file() else package / "_data"


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


def load_split_rows(spec: Mapping[str, Any], role: str, data_files: Any = None, base: Path | None = None):
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
    return any(os.environ.get(v, "").lower() in ("1", "true", "yes", "on") for v in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"))


def _is_connectivity_error(err: BaseException) -> bool:
    """Whether a hub failure is about reaching the hub (not a wrong name or a broken dataset)."""
    if hub_offline():
        return True
    seen: BaseException | None = err
    while seen is not None:
        name = type(seen).__name__
        text = str(seen).lower()
        if "connection" in name.lower() or "offline" in name.lower() or "timeout" in name.lower() or any(
            word in text for word in ("offline", "connection", "resolve host", "network is unreachable", "max retries")
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _require(row: Mapping[str, Any], key: str, source: str, row_number: int) -> Any:
    if key not in row or row[key] is None:
        raise UserError(f"{source} row {row_number}: missing field {key!r}")
    return row[key]


def _label_name(names: Sequence[str], value: Any, source: str, row_number: int, field_name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < len(names):
        raise UserError(f"{source} row {row_number}: unknown label {value!r} in {field_name!r} (expected 0..{len(names) - 1})")
    return names[value]


def _spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start, end, type) spans from IO tags (Few-NERD) or IOB tags (CoNLL); 'O' is outside."""
    spans: list[tuple[int, int, str]] = []
    start, current = None, None
    for i, tag in enumerate([*tags, "O"]):
        prefix, _, kind = tag.partition("-") if tag[:2] in ("B-", "I-") else ("", "", tag)
        begins = tag == "O" or prefix == "B" or kind != current
        if begins and current is not None:
            spans.append((start, i, current))
            current = None
        if tag != "O" and (begins or current is None):
            start, current = i, kind
    return spans


def _text(value: Any, source: str, row_number: int, key: str) -> str:
    """A non-empty string field (a number, a null or whitespace is a one-line error naming the row)."""
    if not isinstance(value, str):
        raise UserError(f"{source} row {row_number}: {key!r} must be text, got {type(value).__name__} {value!r:.40}")
    if not value.strip():
        raise UserError(f"{source} row {row_number}: {key!r} is empty")
    return value


def _list(value: Any, source: str, row_number: int, key: str) -> list:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Sequence):
        raise UserError(f"{source} row {row_number}: {key!r} must be a list, got {type(value).__name__}")
    return list(value)


# A question whose options collapse to fewer than two distinct texts (one choice, or every distractor
# equal to the gold text) would be scored right whatever the model does: it is left out, with a count.
DEGENERATE = object()


def _span_instance(spec, row, source, row_number, seed, split) -> Instance | None:
    fields = spec["fields"]
    tokens = _list(_require(row, fields["tokens"], source, row_number), source, row_number, fields["tokens"])
    tag_ids = _list(_require(row, fields["tags"], source, row_number), source, row_number, fields["tags"])
    for position, token in enumerate(tokens):
        if not isinstance(token, str):
            raise UserError(f"{source} row {row_number}: {fields['tokens']!r} item {position} must be text, "
                            f"got {type(token).__name__} {token!r:.40}")
    if len(tokens) != len(tag_ids):
        raise UserError(f"{source} row {row_number}: {fields['tokens']!r} and {fields['tags']!r} differ in length")
    names = spec["label_names"]
    tags = [_label_name(names, t, source, row_number, fields["tags"]) for t in tag_ids]
    spans = _spans(tags)
    if not spans:
        return None
    start, end, kind = random.Random(stable_seed(seed, spec["name"], split, row_number)).choice(spans)
    if not " ".join(tokens[start:end]).strip():
        raise UserError(f"{source} row {row_number}: the tagged span at tokens {start}..{end - 1} is empty text")
    display = spec.get("label_display", {})
    return Instance(
        instance_id=str(row.get("id", row_number)),
        fields={"sentence": " ".join(tokens), "span": " ".join(tokens[start:end])},
        answer=display.get(kind, kind),
        source=f"{source}:{row_number}",
        key=f"{split}:{row_number}",
    )


def _sentence_instance(spec, row, source, row_number, seed, split) -> Instance:
    fields = spec["fields"]
    text = _text(_require(row, fields["text"], source, row_number), source, row_number, fields["text"])
    label = _label_name(spec["label_names"], _require(row, fields["label"], source, row_number), source, row_number, fields["label"])
    display = spec.get("label_display", {})
    return Instance(
        instance_id=str(row.get(fields.get("id", "idx"), row_number)),
        fields={"sentence": text.strip()},
        answer=display.get(label, label),
        source=f"{source}:{row_number}",
        key=f"{split}:{row_number}",
    )


def _choice_instance(spec, row, source, row_number, seed, split) -> Instance | object:
    fields = spec["fields"]
    question = _text(_require(row, fields["question"], source, row_number), source, row_number, fields["question"])
    choices = _require(row, fields["choices"], source, row_number)
    key = _require(row, fields["answer"], source, row_number)
    if not isinstance(choices, Mapping) or "label" not in choices or "text" not in choices:
        raise UserError(f"{source} row {row_number}: {fields['choices']!r} must have 'label' and 'text' lists")
    labels = _list(choices["label"], source, row_number, f"{fields['choices']}.label")
    texts = _list(choices["text"], source, row_number, f"{fields['choices']}.text")
    if len(labels) != len(texts):
        raise UserError(f"{source} row {row_number}: {fields['choices']!r} has {len(labels)} labels but {len(texts)} texts")
    for position, text in enumerate(texts):
        _text(text, source, row_number, f"{fields['choices']}.text[{position}]")
    if len(set(map(str, labels))) != len(labels):
        raise UserError(f"{source} row {row_number}: {fields['choices']!r} repeats a label ({labels})")
    if key not in labels:
        raise UserError(f"{source} row {row_number}: unknown label {key!r} in {fields['answer']!r} (choices {labels})")
    gold = texts[labels.index(key)]
    candidates = tuple(t for t in texts if t != gold)
    if not candidates:
        return DEGENERATE
    return Instance(
        instance_id=str(row.get(fields.get("id", "id"), row_number)),
        fields={"question": question.strip()},
        answer=gold,
        candidates=candidates,
        choices=tuple(texts),
        source=f"{source}:{row_number}",
        key=f"{split}:{row_number}",
    )


_BUILDERS = {"span_label": _span_instance, "sentence_label": _sentence_instance, "multiple_choice": _choice_instance}


def instances_from_rows(
    spec: Mapping[str, Any], rows, source: str, seed: int, limit: int | None, split: str
) -> list[Instance]:
    adapter = spec.get("adapter")
    if adapter not in _BUILDERS:
        raise UserError(f"task {spec.get('name')}: unknown adapter {adapter!r} (expected one of {', '.join(ADAPTERS)})")
    build = _BUILDERS[adapter]
    instances: list[Instance] = []
    degenerate: list[int] = []
    for row_number, row in enumerate(rows, start=1):
        if limit is not None and len(instances) >= limit:
            break
        if not isinstance(row, Mapping):
            raise UserError(f"{source} row {row_number}: a row must be an object, got {type(row).__name__}")
        instance = build(spec, row, source, row_number, seed, split)
        if instance is DEGENERATE:
            degenerate.append(row_number)
        elif instance is not None:
            instances.append(instance)
    if degenerate:
        shown = ", ".join(map(str, degenerate[:5])) + (", ..." if len(degenerate) > 5 else "")
        warn(f"{source}: {len(degenerate)} question(s) with fewer than two distinct options left out (rows {shown})")
    if not instances:
        raise UserError(f"{source}: no usable instances (empty split?)")
    return instances


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
    examples = instances_from_rows(spec, identify_rows, identify_source, seed, None, "identify")
    identify = examples[:identify_limit]
    seen = {(tuple(sorted(i.fields.items())), i.answer) for i in examples}
    evaluate = [
        i
        for i in instances_from_rows(spec, evaluate_rows, evaluate_source, seed, None, "evaluate")
        if (tuple(sorted(i.fields.items())), i.answer) not in seen
    ][:evaluate_limit]
    if not evaluate:
        raise UserError(f"{evaluate_source}: no evaluation instances left")
    return TaskData(
        spec["name"], identify, evaluate, examples, label_frequencies(spec, identify_rows), task_labels(spec), source,
        data_digest({"identify": identify_digest, "evaluate": evaluate_digest}),
    )


def task_labels(spec: Mapping[str, Any]) -> tuple[str, ...]:
    """The label set shown in the role and drawn from for distractors: the spec's label names without
    IOB prefixes and without 'O', in their declared order, under their display names."""
    if spec.get("adapter") == "multiple_choice":
        return ()
    display = spec.get("label_display", {})
    labels: list[str] = []
    for name in spec.get("label_names", []):
        kind = name[2:] if name[:2] in ("B-", "I-") else name
        if (spec["adapter"] == "span_label" and kind == "O") or display.get(kind, kind) in labels:
            continue
        labels.append(display.get(kind, kind))
    return tuple(labels)


def label_frequencies(spec: Mapping[str, Any], rows) -> Counter:
    """How often each label occurs in the identification split (every span, not only the asked one)."""
    counts: Counter = Counter()
    adapter, fields, display = spec.get("adapter"), spec.get("fields", {}), spec.get("label_display", {})
    names = spec.get("label_names", [])
    for row in rows:
        if adapter == "span_label":
            tags = [names[t] for t in row.get(fields["tags"]) or [] if isinstance(t, int) and 0 <= t < len(names)]
            counts.update(display.get(kind, kind) for _, _, kind in _spans(tags))
        elif adapter == "sentence_label":
            label = row.get(fields["label"])
            if isinstance(label, int) and 0 <= label < len(names):
                counts[display.get(names[label], names[label])] += 1
    return counts
