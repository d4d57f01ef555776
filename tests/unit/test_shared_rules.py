"""One rule per concept, used by every caller: the budget check (identify, common neurons, the config
check), the strict JSON reader (neuron, evaluation and metrics files) and the data_files parser (CLI, lm-eval)."""

import json
import re

import pytest

from neuronllm.atomic import read_json, write_json
from neuronllm.errors import UserError
from neuronllm.methods import METHODS
from neuronllm.neurons import check_budget
from neuronllm.tasks.data import parse_data_files


def config(methods, budget):
    return {
        "models": {"m": {"spec": "x"}},
        "tasks": ["ner"],
        "methods": methods,
        "budget": budget,
        "data_files": "shipped",
    }


@pytest.mark.parametrize("method", ["cni", "tn"])
def test_the_config_check_counts_the_bad_side_only_for_a_method_that_has_one(monkeypatch, method):
    """40 neurons: K = 30 fits a good-only set (TN) and not K good + K bad (CNI), as identify decides."""
    import neuronllm.model.loading as loading
    from neuronllm.pipeline.config_check import check_config

    monkeypatch.setattr(loading, "config_neuron_counts", lambda *args, **kwargs: [20, 20])
    has_bad = METHODS[method].has_bad
    if not has_bad:
        check_config(config([method], 30))
        check_budget(30, 40, has_bad)
        return
    with pytest.raises(
        UserError, match=r"^config: budget 30 \(30 good \+ 30 bad neurons\) is larger than model m's 40 neurons$"
    ):
        check_config(config([method], 30))
    with pytest.raises(
        UserError, match=r"^budget 30 \(30 good \+ 30 bad neurons\) is larger than the model's 40 neurons$"
    ):
        check_budget(30, 40, has_bad)


def test_budget_must_be_positive():
    with pytest.raises(UserError, match="budget must be positive, got 0"):
        check_budget(0, None)


def test_read_json_is_strict_and_one_line(tmp_path):
    good = tmp_path / "good.json"
    write_json(good, {"a": 1.5})
    assert read_json(good, "metrics") == {"a": 1.5}
    cases = {
        "nan.json": ('{"a": NaN}', "not valid JSON"),
        "list.json": ("[1]", "not a metrics file (expected a JSON object)"),
        "cut.json": ('{"a"', "not valid JSON"),
    }
    for name, (text, message) in cases.items():
        (tmp_path / name).write_text(text)
        with pytest.raises(UserError, match=re.escape(message)):
            read_json(tmp_path / name, "metrics")
    (tmp_path / "latin1.json").write_bytes('{"é": 1}'.encode("latin-1"))
    with pytest.raises(UserError, match="not a metrics file \\(not UTF-8 text\\)"):
        read_json(tmp_path / "latin1.json", "metrics")
    with pytest.raises(UserError, match="metrics file not found"):
        read_json(tmp_path / "missing.json", "metrics")
    with pytest.raises(UserError, match="a directory, not a metrics file"):
        read_json(tmp_path, "metrics")


def test_one_data_files_parser_for_the_cli_and_lm_eval():
    from neuronllm.cli.checks import data_files

    mapping = {"train": "a.jsonl", "test": "b.jsonl"}
    for value, expected in [
        (None, None),
        ("", None),
        ("shipped", "shipped"),
        ("hub", "hub"),
        (json.dumps(mapping), mapping),
    ]:
        assert data_files(value) == parse_data_files(value) == expected
    assert parse_data_files(mapping) == mapping  # lm-eval's --metadata may hand over the mapping itself
    with pytest.raises(
        UserError, match=r"^--data-files must be 'shipped', 'hub' or a JSON object \{split: path\}, got '\{broken'$"
    ):
        data_files("{broken")
    with pytest.raises(UserError, match=r"^data_files must be .* got JSON list$"):
        parse_data_files("[1, 2]")
