"""Checks for the small datasets shipped under data/ (stdlib only, no network)."""

from __future__ import annotations

import importlib.util
import json
import re
from collections import Counter
from pathlib import Path
from types import ModuleType

import pytest

DATA = Path(__file__).resolve().parents[2] / "data"
MIN_ROWS = 80


def generator() -> ModuleType:
    """data/make_shipped_data.py, the one source of the files and of their label orders."""
    spec = importlib.util.spec_from_file_location("make_shipped_data", DATA / "make_shipped_data.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


GENERATOR = generator()
NER_LABELS, POS_LABELS, CHUNK_LABELS = GENERATOR.NER_LABELS, GENERATOR.POS_LABELS, GENERATOR.CHUNK_LABELS
CQA_LABELS = ["A", "B", "C", "D", "E"]

SPLITS = {
    "ner": ("train", "test"),
    "chunking": ("train", "test"),
    "sentiment": ("train", "validation"),
    "commonsense": ("train", "validation"),
}
ALL_FILES = [(task, split) for task, splits in SPLITS.items() for split in splits]


def load(task: str, split: str) -> list[dict]:
    path = DATA / task / f"{split}.jsonl"
    assert path.is_file(), f"missing {path}"
    rows = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            assert line.strip(), f"{path}:{n}: blank line"
            row = json.loads(line)
            assert isinstance(row, dict), f"{path}:{n}: not a JSON object"
            rows.append(row)
    return rows


def is_int(x) -> bool:
    return isinstance(x, int) and not isinstance(x, bool)


def str_list(x) -> bool:
    return isinstance(x, list) and all(isinstance(t, str) and t for t in x)


def int_list(x) -> bool:
    return isinstance(x, list) and all(is_int(t) for t in x)


def ner_spans(tags: list[int]) -> list[int]:
    """Entity types of the spans (consecutive equal non-zero tags form one span)."""
    spans, prev = [], 0
    for t in tags:
        if t and t != prev:
            spans.append(t)
        prev = t
    return spans


def sentence_key(task: str, row: dict) -> str:
    if task in ("ner", "chunking"):
        return " ".join(row["tokens"]).lower()
    if task == "sentiment":
        return " ".join(row["sentence"].split()).lower()
    return " ".join(row["question"].split()).lower()


@pytest.mark.parametrize("task,split", ALL_FILES)
def test_parses_and_has_enough_rows(task, split):
    rows = load(task, split)
    assert len(rows) >= MIN_ROWS, f"{task}/{split}: only {len(rows)} rows"
    keys = [sentence_key(task, r) for r in rows]
    assert len(set(keys)) == len(keys), f"{task}/{split}: duplicate rows"


@pytest.mark.parametrize("task", SPLITS)
def test_no_overlap_between_splits(task):
    a, b = (set(sentence_key(task, r) for r in load(task, s)) for s in SPLITS[task])
    assert not (a & b), f"{task}: rows in both splits: {sorted(a & b)[:3]}"


@pytest.mark.parametrize("split", SPLITS["ner"])
def test_ner(split):
    rows = load("ner", split)
    ids, counts = set(), Counter()
    for r in rows:
        assert set(r) >= {"id", "tokens", "ner_tags"}, r
        assert isinstance(r["id"], str) and r["id"] not in ids
        ids.add(r["id"])
        assert str_list(r["tokens"]) and int_list(r["ner_tags"]), r
        assert len(r["tokens"]) == len(r["ner_tags"]) > 0, r
        assert all(0 <= t < len(NER_LABELS) for t in r["ner_tags"]), r
        spans = ner_spans(r["ner_tags"])
        assert 1 <= len(spans) <= 3, (r["tokens"], spans)
        counts.update(NER_LABELS[t] for t in spans)
    for label in NER_LABELS[1:]:
        assert counts[label] >= 8, f"ner/{split}: only {counts[label]} '{label}' entities"
    for common in ("person", "organization", "location"):
        for rare in ("art", "building", "event", "other", "product"):
            assert counts[common] >= counts[rare] * 0.6, (split, counts)


@pytest.mark.parametrize("split", SPLITS["chunking"])
def test_chunking(split):
    rows = load("chunking", split)
    ids, counts = set(), Counter()
    for r in rows:
        assert set(r) >= {"id", "tokens", "pos_tags", "chunk_tags"}, r
        assert isinstance(r["id"], str) and r["id"] not in ids
        ids.add(r["id"])
        assert str_list(r["tokens"]) and int_list(r["pos_tags"]) and int_list(r["chunk_tags"]), r
        assert len(r["tokens"]) == len(r["pos_tags"]) == len(r["chunk_tags"]) > 0, r
        assert all(0 <= t < len(POS_LABELS) for t in r["pos_tags"]), r
        assert all(0 <= t < len(CHUNK_LABELS) for t in r["chunk_tags"]), r
        prev = "O"
        for tok, t in zip(r["tokens"], r["chunk_tags"]):
            tag = CHUNK_LABELS[t]
            if tag.startswith("I-"):
                assert prev != "O" and prev[2:] == tag[2:], f"invalid IOB at {tok!r}: {r['tokens']}"
            if tag.startswith("B-"):
                counts[tag[2:]] += 1
            prev = tag
        # sentence-final punctuation is tagged "." and lies outside any chunk
        assert POS_LABELS[r["pos_tags"][-1]] == "." and CHUNK_LABELS[r["chunk_tags"][-1]] == "O", r
    for chunk in ("NP", "VP", "PP", "ADVP", "ADJP", "SBAR", "PRT"):
        assert counts[chunk] >= 8, f"chunking/{split}: only {counts[chunk]} {chunk} chunks"


@pytest.mark.parametrize("split", SPLITS["sentiment"])
def test_sentiment(split):
    rows = load("sentiment", split)
    idxs = [r["idx"] for r in rows]
    assert all(is_int(i) for i in idxs) and len(set(idxs)) == len(idxs)
    for r in rows:
        assert set(r) >= {"idx", "sentence", "label"}, r
        assert isinstance(r["sentence"], str) and r["sentence"].strip(), r
        assert r["sentence"] == r["sentence"].lower(), r
        assert is_int(r["label"]) and r["label"] in (0, 1), r
    labels = Counter(r["label"] for r in rows)
    assert min(labels[0], labels[1]) >= 0.4 * len(rows), labels


@pytest.mark.parametrize("split", SPLITS["commonsense"])
def test_commonsense(split):
    rows = load("commonsense", split)
    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids)
    keys = Counter()
    for r in rows:
        assert set(r) >= {"id", "question", "question_concept", "choices", "answerKey"}, r
        assert isinstance(r["id"], str) and re.fullmatch(r"[0-9a-f]{32}", r["id"]), r
        assert isinstance(r["question"], str) and r["question"].strip(), r
        concept = r["question_concept"]
        assert isinstance(concept, str) and concept.lower() in r["question"].lower(), r
        choices = r["choices"]
        assert isinstance(choices, dict) and set(choices) >= {"label", "text"}, r
        assert choices["label"] == CQA_LABELS, r
        assert str_list(choices["text"]) and len(choices["text"]) == 5, r
        assert len({t.lower() for t in choices["text"]}) == 5, r
        assert r["answerKey"] in CQA_LABELS, r
        keys[r["answerKey"]] += 1
    for k in CQA_LABELS:
        assert keys[k] >= 0.1 * len(rows), f"commonsense/{split}: answerKey spread {keys}"
    # question ids must not collide across splits either
    other = [s for s in SPLITS["commonsense"] if s != split][0]
    assert not set(ids) & {r["id"] for r in load("commonsense", other)}


def test_regenerating_the_shipped_data_gives_the_committed_bytes(tmp_path):
    """`python data/make_shipped_data.py` rewrites data/*/*.jsonl to the same bytes: the committed files
    are what their source (the generator, data/sources/, the task YAMLs' label orders) says."""
    GENERATOR.main(tmp_path)
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.jsonl"))
    assert written == sorted(Path(task) / f"{split}.jsonl" for task, split in ALL_FILES)
    for relative in written:
        assert (tmp_path / relative).read_bytes() == (DATA / relative).read_bytes(), relative


def test_the_label_orders_are_the_task_specs():
    """The files' label ids index the labels the package reads (tasks/aqua/*.yaml `label_names`)."""
    from neuronllm.tasks.lm_eval_tasks import find_task

    for task, labels in (("ner", NER_LABELS), ("chunking", CHUNK_LABELS), ("sentiment", GENERATOR.SENTIMENT_LABELS)):
        assert list(find_task(task, "text").spec["label_names"]) == labels, task
