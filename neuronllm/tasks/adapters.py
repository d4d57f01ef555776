"""Row adapters: one dataset row -> one Instance (span_label, sentence_label, multiple_choice), the
task's label set and its label frequencies. data.py reads the rows; aqua.py turns Instances into proxies."""

from __future__ import annotations

import hashlib
import random
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from neuronllm.errors import UserError, warn

ADAPTERS = ("span_label", "sentence_label", "multiple_choice")


@dataclass(frozen=True, kw_only=True)  # by keyword: its three ids must not be swapped unseen
class Instance:
    """One original task instance, before AQUA turns it into proxy questions."""

    instance_id: str  # "split:row" (e.g. "evaluate:12"): unique, what proxies, pairing and comprehension group
    # by, and what seeds use, so proxies do not depend on where the files live; ProxyQA.instance_id
    source_id: str  # the row's own id field (display only: data files may repeat ids)
    fields: dict[str, str]  # what the question stem template may use: sentence, span, question, ...
    answer: str  # gold option text
    candidates: tuple[str, ...] = ()  # the instance's own wrong options (multiple_choice); else empty
    choices: tuple[str, ...] = ()  # all its own options in the row's order (multiple_choice): the native format's
    source: str = ""  # "file:row" for error messages and provenance


def stable_seed(*parts: object) -> int:
    """A seed that is the same on every machine and Python run (unlike hash())."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).hexdigest()
    return int(digest[:16], 16)


def _require(row: Mapping[str, Any], key: str, source: str, row_number: int) -> Any:
    if key not in row or row[key] is None:
        raise UserError(f"{source} row {row_number}: missing field {key!r}")
    return row[key]


def _label_name(names: Sequence[str], value: Any, source: str, row_number: int, field_name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < len(names):
        raise UserError(
            f"{source} row {row_number}: unknown label {value!r} in {field_name!r} (expected 0..{len(names) - 1})"
        )
    return names[value]


def _spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """(start, end, type) spans from IO tags (Few-NERD) or IOB tags (CoNLL); 'O' is outside."""
    spans: list[tuple[int, int, str]] = []
    start, current = 0, None
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
# So is a multiple-choice row with fewer distinct options than the 3 proxies that rotate them: two
# options give two orders, and the third proxy would repeat one (a label task's label set is the
# task's design: binary sentiment poses its two orders by the paper's protocol).
DEGENERATE = object()
MIN_CHOICE_OPTIONS = 3


def _span_instance(
    spec: Mapping[str, Any], row: Mapping[str, Any], source: str, row_number: int, seed: int, split: str
) -> Instance | None:
    fields = spec["fields"]
    tokens = _list(_require(row, fields["tokens"], source, row_number), source, row_number, fields["tokens"])
    tag_ids = _list(_require(row, fields["tags"], source, row_number), source, row_number, fields["tags"])
    for position, token in enumerate(tokens):
        if not isinstance(token, str):
            raise UserError(
                f"{source} row {row_number}: {fields['tokens']!r} item {position} must be text, "
                f"got {type(token).__name__} {token!r:.40}"
            )
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
        instance_id=f"{split}:{row_number}",
        source_id=str(row.get("id", row_number)),
        fields={"sentence": " ".join(tokens), "span": " ".join(tokens[start:end])},
        answer=display.get(kind, kind),
        source=f"{source}:{row_number}",
    )


def _sentence_instance(
    spec: Mapping[str, Any], row: Mapping[str, Any], source: str, row_number: int, seed: int, split: str
) -> Instance:
    fields = spec["fields"]
    text = _text(_require(row, fields["text"], source, row_number), source, row_number, fields["text"])
    label = _label_name(
        spec["label_names"], _require(row, fields["label"], source, row_number), source, row_number, fields["label"]
    )
    display = spec.get("label_display", {})
    return Instance(
        instance_id=f"{split}:{row_number}",
        source_id=str(row.get(fields.get("id", "idx"), row_number)),
        fields={"sentence": text.strip()},
        answer=display.get(label, label),
        source=f"{source}:{row_number}",
    )


def _choice_instance(
    spec: Mapping[str, Any], row: Mapping[str, Any], source: str, row_number: int, seed: int, split: str
) -> Instance | object:
    fields = spec["fields"]
    question = _text(_require(row, fields["question"], source, row_number), source, row_number, fields["question"])
    choices = _require(row, fields["choices"], source, row_number)
    key = _require(row, fields["answer"], source, row_number)
    if not isinstance(choices, Mapping) or "label" not in choices or "text" not in choices:
        raise UserError(f"{source} row {row_number}: {fields['choices']!r} must have 'label' and 'text' lists")
    labels = _list(choices["label"], source, row_number, f"{fields['choices']}.label")
    texts = _list(choices["text"], source, row_number, f"{fields['choices']}.text")
    if len(labels) != len(texts):
        raise UserError(
            f"{source} row {row_number}: {fields['choices']!r} has {len(labels)} labels but {len(texts)} texts"
        )
    for position, text in enumerate(texts):
        _text(text, source, row_number, f"{fields['choices']}.text[{position}]")
    if len(set(map(str, labels))) != len(labels):
        raise UserError(f"{source} row {row_number}: {fields['choices']!r} repeats a label ({labels})")
    if key not in labels:
        raise UserError(f"{source} row {row_number}: unknown label {key!r} in {fields['answer']!r} (choices {labels})")
    gold = texts[labels.index(key)]
    candidates = tuple(t for t in texts if t != gold)
    if len(set(candidates)) + 1 < MIN_CHOICE_OPTIONS:
        return DEGENERATE
    return Instance(
        instance_id=f"{split}:{row_number}",
        source_id=str(row.get(fields.get("id", "id"), row_number)),
        fields={"question": question.strip()},
        answer=gold,
        candidates=candidates,
        choices=tuple(texts),
        source=f"{source}:{row_number}",
    )


_BUILDERS = {"span_label": _span_instance, "sentence_label": _sentence_instance, "multiple_choice": _choice_instance}


def instances_from_rows(
    spec: Mapping[str, Any], rows: Iterable[Any], source: str, seed: int, limit: int | None, split: str
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
        elif isinstance(instance, Instance):
            instances.append(instance)
    if degenerate:
        shown = ", ".join(map(str, degenerate[:5])) + (", ..." if len(degenerate) > 5 else "")
        warn(
            f"{source}: {len(degenerate)} question(s) with fewer than two distinct options (three for a "
            f"multiple-choice question) left out (rows {shown})"
        )
    if not instances:
        raise UserError(f"{source}: no usable instances (empty split?)")
    return instances


def answer_labels(spec: Mapping[str, Any]) -> tuple[str, ...]:
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


def label_frequencies(spec: Mapping[str, Any], rows: Iterable[Mapping[str, Any]]) -> Counter:
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
