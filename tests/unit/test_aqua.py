"""AQUA proxies: the five-part prompt, 3 proxies per instance, rotations, determinism, disjoint splits."""

import string
from pathlib import Path

from neuronllm.tasks.aqua import build_proxies, build_split, rotation
from neuronllm.tasks.data import load_task_data
from neuronllm.tasks.lm_eval_tasks import find_task

HUB = Path(__file__).parents[1] / "fixtures" / "hub"
FILES = {
    "ner": {"train": HUB / "ner/train.jsonl", "test": HUB / "ner/test.jsonl"},
    "sentiment": {"train": HUB / "sentiment/train.jsonl", "validation": HUB / "sentiment/validation.jsonl"},
    "commonsense": {"train": HUB / "commonsense/train.jsonl", "validation": HUB / "commonsense/validation.jsonl"},
}


def task_and_data(name, seed=0):
    task = find_task(name)
    files = {k: str(v) for k, v in FILES[name].items()}
    return task, load_task_data(task.spec, seed=seed, data_files=files)


def test_prompt_has_the_five_parts_in_order():
    task, data = task_and_data("ner")
    proxy = build_proxies(task.spec, data, data.evaluate[0], seed=0, answer_format="letter")[0]
    text = proxy.prompt
    markers = [
        "You are an excellent linguist",  # 1 role
        "respond with the letter",  # 2 rule
        "Here is an example:",  # 3 one-shot example
        "Now here is the question: What is the entity type of '",  # 4 stem
        "Options:\nA. ",  # 5 options
    ]
    positions = [text.rindex(m) if m.startswith("Options") else text.index(m) for m in markers]
    assert positions == sorted(positions)
    assert text.endswith("Correct answer:")
    assert text.count("Correct answer:") == 2  # the example's, with its letter, and ours, open
    assert "event" in text.splitlines()[0]  # the role lists the whole label set


def test_three_proxies_rotate_so_the_gold_letter_differs():
    task, data = task_and_data("ner")
    for instance in data.evaluate:
        proxies = build_proxies(task.spec, data, instance, seed=0, answer_format="letter")
        assert len(proxies) == 3
        assert len({p.gold for p in proxies}) == 3
        assert {frozenset(p.options) for p in proxies} == {frozenset(proxies[0].options)}
        assert all(p.options[p.gold] == instance.answer for p in proxies)
        assert all(len(p.options) == 4 and len(set(p.options)) == 4 for p in proxies)
        examples = [p.prompt.split("Here is an example:")[1].split("Now here is")[0] for p in proxies]
        assert len(set(examples)) == 3  # a different one-shot example each


def test_example_answer_is_right_letter_or_text():
    task, data = task_and_data("ner")
    for fmt in ("letter", "text"):
        for proxy in build_split(task.spec, data, "evaluate", 0, fmt):
            example = proxy.prompt.split("Now here is")[0]
            options_line = example.split("Options:\n")[1].split("\n")[0]
            answer = example.split("Correct answer: ")[1].strip()
            parsed = dict(part.split(". ", 1) for part in _split_options(options_line))
            if fmt == "letter":
                assert answer in parsed
            else:
                assert answer in parsed.values()
                assert proxy.choices == list(proxy.options)


def _split_options(line):
    letters = [f"{l}. " for l in string.ascii_uppercase[:4]]
    starts = [line.index(l) for l in letters if l in line]
    return [line[a:b].strip() for a, b in zip(starts, starts[1:] + [len(line)])]


def test_proxies_are_a_pure_function_of_instance_and_seed():
    task, data = task_and_data("commonsense")
    first = build_split(task.spec, data, "evaluate", 7, "letter")
    again = build_split(task.spec, task_and_data("commonsense")[1], "evaluate", 7, "letter")
    other = build_split(task.spec, data, "evaluate", 8, "letter")
    assert first == again
    assert first != other


def test_commonsense_keeps_gold_and_three_of_its_own_wrong_choices():
    task, data = task_and_data("commonsense")
    instance = data.evaluate[0]
    proxy = build_proxies(task.spec, data, instance, seed=0, answer_format="text")[0]
    assert instance.answer in proxy.options
    assert set(proxy.options) - {instance.answer} <= set(instance.candidates)
    assert len(proxy.options) == 4


def test_small_label_set_uses_all_labels():
    task, data = task_and_data("sentiment")
    proxies = build_proxies(task.spec, data, data.evaluate[0], seed=0, answer_format="letter")
    assert all(sorted(p.options) == ["negative", "positive"] for p in proxies)
    assert {p.gold for p in proxies} == {0, 1}


def test_identification_and_evaluation_never_overlap(tmp_path):
    task = find_task("sentiment")
    train = (HUB / "sentiment/train.jsonl").read_text()
    (tmp_path / "train.jsonl").write_text(train)
    (tmp_path / "validation.jsonl").write_text(
        train.splitlines()[0] + "\n" + (HUB / "sentiment/validation.jsonl").read_text()
    )
    data = load_task_data(
        task.spec, data_files={"train": str(tmp_path / "train.jsonl"), "validation": str(tmp_path / "validation.jsonl")}
    )
    identify = {i.fields["sentence"] for i in data.identify}
    assert not identify & {i.fields["sentence"] for i in data.evaluate}
    assert len(data.evaluate) == 3


def test_rotation():
    assert rotation(["a", "b", "c", "d"], 1) == ["b", "c", "d", "a"]
    assert rotation(["a", "b"], 2) == ["a", "b"]


def test_proxies_do_not_depend_on_where_the_files_live(tmp_path):
    """Same rows in two folders -> the same proxies (seeds use split and row, not the file path)."""
    import shutil

    task = find_task("ner")
    built = []
    for folder in ("one", "two/deeper"):
        target = tmp_path / folder
        target.mkdir(parents=True)
        for split in ("train", "test"):
            shutil.copy(FILES["ner"][split], target / f"{split}.jsonl")
        data = load_task_data(task.spec, data_files={s: str(target / f"{s}.jsonl") for s in ("train", "test")})
        built.append(build_split(task.spec, data, "evaluate", 0, "letter"))
    assert built[0] == built[1]


def test_instance_id_is_the_split_position_and_source_id_the_rows_own_id_everywhere():
    """One name, one meaning: `instance_id` is "split:row" in Instance and ProxyQA alike, `source_id` the
    row's own id field; ProxyQA is built by keyword (two of its strings were once swapped unseen)."""
    import dataclasses

    import pytest

    from neuronllm.tasks.aqua import ProxyQA

    task, data = task_and_data("sentiment")
    for instance in data.evaluate[:3]:
        assert instance.instance_id.startswith("evaluate:") and instance.source_id != instance.instance_id
        proxies = build_proxies(task.spec, data, instance, 0, "text")
        assert {(p.instance_id, p.source_id) for p in proxies} == {(instance.instance_id, instance.source_id)}
    fields = {f.name: "x" for f in dataclasses.fields(ProxyQA)}
    with pytest.raises(TypeError):
        ProxyQA(*fields.values())
