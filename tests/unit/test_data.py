"""Loading task data from local files in the hub's schema, and one-line errors for bad data."""

import json

import pytest

from neuronllm.errors import UserError
from neuronllm.tasks.adapters import _spans
from neuronllm.tasks.data import load_task_data
from neuronllm.tasks.lm_eval_tasks import find_task


def write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return str(path)


def ner_rows(n=5):
    return [
        {"id": str(i), "tokens": ["Ann", "met", "Bob", "in", "Rome", "."], "ner_tags": [7, 0, 7, 0, 4, 0]}
        for i in range(n)
    ]


def test_spans_from_io_and_iob_tags():
    assert _spans(["person", "person", "O", "location"]) == [(0, 2, "person"), (3, 4, "location")]
    assert _spans(["B-NP", "I-NP", "B-NP", "B-VP", "O"]) == [(0, 2, "NP"), (2, 3, "NP"), (3, 4, "VP")]


@pytest.mark.parametrize("fmt", ["jsonl", "parquet", "csv"])
def test_local_files_in_hub_schema(tmp_path, fmt):
    import datasets

    task = find_task("sentiment")
    rows = [
        {"idx": i, "sentence": f"sentence number {i} is {'great' if i % 2 else 'awful'}", "label": i % 2}
        for i in range(8)
    ]
    paths = {}
    for split, part in (("train", rows[:5]), ("validation", rows[5:])):
        path = tmp_path / f"{split}.{fmt}"
        ds = datasets.Dataset.from_list(part)
        {"jsonl": ds.to_json, "parquet": ds.to_parquet, "csv": ds.to_csv}[fmt](str(path))
        paths[split] = str(path)
    data = load_task_data(task.spec, data_files=paths)
    assert [i.answer for i in data.evaluate] == ["positive", "negative", "positive"]
    assert data.labels == ("negative", "positive")


def test_shipped_shortcut_needs_no_paths():
    task = find_task("ner")
    data = load_task_data(task.spec, data_files="shipped", identify_limit=5, evaluate_limit=5)
    assert len(data.identify) == 5 and len(data.evaluate) == 5


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda r: r.pop("ner_tags"), "row 2: missing field 'ner_tags'"),
        (lambda r: r.update(ner_tags=[7, 0, 99, 0, 4, 0]), "row 2: unknown label 99"),
        (lambda r: r.update(tokens=["Ann"]), "row 2: 'tokens' and 'ner_tags' differ in length"),
    ],
)
def test_bad_rows_name_file_and_row(tmp_path, mutate, message):
    rows = ner_rows()
    mutate(rows[1])
    train = write_jsonl(tmp_path / "train.jsonl", rows)
    test = write_jsonl(tmp_path / "test.jsonl", ner_rows())
    with pytest.raises(UserError) as info:
        load_task_data(find_task("ner").spec, data_files={"train": train, "test": test})
    assert message in str(info.value) and "train.jsonl" in str(info.value)
    assert "\n" not in str(info.value)


def test_empty_split_is_an_error(tmp_path):
    train = write_jsonl(tmp_path / "train.jsonl", ner_rows())
    test = tmp_path / "test.jsonl"
    test.write_text("")
    with pytest.raises(UserError, match="test.jsonl"):
        load_task_data(find_task("ner").spec, data_files={"train": train, "test": str(test)})


def test_missing_file_and_missing_split(tmp_path):
    spec = find_task("ner").spec
    with pytest.raises(UserError, match="data file not found"):
        load_task_data(spec, data_files={"train": str(tmp_path / "nope.jsonl"), "test": str(tmp_path / "nope.jsonl")})
    train = write_jsonl(tmp_path / "train.jsonl", ner_rows())
    with pytest.raises(UserError, match="no 'test' split"):
        load_task_data(spec, data_files={"train": train})


def test_commonsense_unknown_answer_key(tmp_path):
    row = {
        "id": "x",
        "question": "q?",
        "question_concept": "q",
        "choices": {"label": ["A", "B"], "text": ["a", "b"]},
        "answerKey": "Z",
    }
    path = write_jsonl(tmp_path / "train.jsonl", [row])
    with pytest.raises(UserError, match="unknown label 'Z'"):
        load_task_data(find_task("commonsense").spec, data_files={"train": path, "validation": path})


def test_offline_hub_load_says_what_to_do():
    with pytest.raises(UserError, match="pass data_files"):
        load_task_data(find_task("ner").spec, data_files="hub")


def test_offline_default_falls_back_to_the_shipped_data_with_one_warning(capsys):
    data = load_task_data(find_task("ner").spec)
    assert data.source == "shipped" and data.evaluate
    warning = capsys.readouterr().err.strip().splitlines()
    assert len(warning) == 1 and "hub is not reachable" in warning[0] and "shipped data" in warning[0]


def test_unknown_task_suggests_a_name():
    with pytest.raises(UserError, match="did you mean 'ner'"):
        find_task("nerr")


def test_instance_keys_name_split_and_row_for_every_adapter():
    """Keys seed the proxies and exclude an instance from its own one-shot pool, so they must be
    unique across splits (commonsense once used its answer letter here instead of the split)."""
    from neuronllm.tasks.data import load_task_data
    from neuronllm.tasks.lm_eval_tasks import find_task

    for task in ("ner", "sentiment", "commonsense"):
        data = load_task_data(find_task(task, "text").spec, 0, 5, 5, "shipped")
        assert all(i.instance_id.startswith("identify:") for i in data.identify), task
        assert all(i.instance_id.startswith("evaluate:") for i in data.evaluate), task
