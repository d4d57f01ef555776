"""Validation at the door (issue 16, class "validation"): task specs, data rows, lm-eval metadata, the
config, and failed writes each end in one line naming the problem, before any model loads and without
a partial file. Command-line probes of the same class are in probes.py (table in docs/robustness.md)."""

import errno
import re
from pathlib import Path

import pytest
import yaml

from neuronllm.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
SPECS = ROOT / "tests" / "fixtures" / "task_specs"
MALFORMED = ROOT / "tests" / "fixtures" / "malformed"

SPEC_ERRORS = {
    "missing_splits": "spec: 'splits' is a required property",
    "missing_fields": "spec: 'fields' is a required property",
    "missing_role": "spec: 'role' is a required property",
    "missing_stem": "spec: 'stem' is a required property",
    "missing_label_names": "spec: 'label_names' is a required property",
    "label_names_not_list": "spec.label_names: 'negative, positive' is not of type 'array'",
    "one_label": "spec.label_names: ['positive'] is too short",
    "field_number": "spec.fields.text: 3 is not of type 'string'",
    "missing_text_field": "spec.fields: 'text' is a required property",
    "unknown_adapter": "spec.adapter: 'span' is not one of",
    "undefined_variable": "spec.stem: UndefinedError: 'sentense' is undefined (variables: sentence)",
    "syntax_error": "spec.stem: TemplateSyntaxError",
    "role_undefined": "spec.role: UndefinedError: 'classes' is undefined",
    "display_collision": "spec.label_display shows labels 'negative' and 'positive' both as 'review'",
    "shipped_split_missing": "spec.shipped_files has no 'validation' split",
}


@pytest.mark.parametrize("variant", sorted(SPEC_ERRORS))
def test_a_broken_task_spec_is_one_line_naming_file_and_key(variant):
    """Found through --include_path (as lm-eval finds a user's task), checked before data or a model."""
    from neuronllm.tasks.lm_eval_tasks import find_task, load_proxies

    with pytest.raises(UserError) as caught:
        task = find_task(f"bad_{variant}", "text", include_path=SPECS)
        load_proxies(task, "evaluate", "text", data_files="shipped")
    message = str(caught.value)
    assert f"bad_{variant}.yaml" in message and SPEC_ERRORS[variant] in message and "\n" not in message


@pytest.mark.parametrize("variant", ["missing_splits", "undefined_variable", "display_collision"])
def test_lm_eval_custom_dataset_checks_the_spec_too(variant):
    from neuronllm.tasks.lm_eval_tasks import build_text_dataset

    spec = yaml.safe_load((SPECS / f"bad_{variant}.yaml").read_text())["dataset_kwargs"]["spec"]
    with pytest.raises(UserError, match=re.escape(SPEC_ERRORS[variant])):
        build_text_dataset(spec=spec, data_files="shipped")


def test_questions_with_fewer_than_two_distinct_options_are_dropped_with_a_count(capfd):
    """One choice, or every distractor equal to the gold text: left out, with one warning line."""
    from neuronllm.tasks.aqua import build_split
    from neuronllm.tasks.data import load_task_data
    from neuronllm.tasks.lm_eval_tasks import find_task

    spec = find_task("commonsense").spec
    files = {
        "train": str(ROOT / "data" / "commonsense" / "train.jsonl"),
        "validation": str(MALFORMED / "commonsense_degenerate.jsonl"),
    }
    rows = (MALFORMED / "commonsense_degenerate.jsonl").read_text().splitlines()
    task = load_task_data(spec, data_files=files)
    assert len(task.evaluate) == len(rows) - 2
    proxies = build_split(spec, task, "evaluate", 0, "text")
    assert all(len(set(p.options)) >= 2 for p in proxies)
    warnings = [line for line in capfd.readouterr().err.splitlines() if "fewer than two distinct options" in line]
    assert len(warnings) == 1 and "2 question(s)" in warnings[0] and "rows 1, 2" in warnings[0]


@pytest.mark.parametrize("seed", ["abc", 1.5, True, -1])
def test_metadata_values_are_type_checked(seed):
    from neuronllm.tasks.lm_eval_tasks import build_text_dataset, find_task

    with pytest.raises(UserError, match="seed must be an integer >= 0"):
        build_text_dataset(spec=find_task("sentiment").spec, data_files="shipped", seed=seed)


@pytest.mark.parametrize(
    "change",
    [
        {"ablation_methods": ["cni", "cni"]},
        {"matched_null": ["cni", "cni"]},
        {"table7": {"task": "commonsense", "methods": ["cni"], "budgets": [10, 10]}},
        {"specificity": {"sources": ["cni", "cni"]}},
        {"results_dir": "results/{model}"},
        {"data_files": {"sentiment": {"train": "data/{x}.jsonl", "validation": "v.jsonl"}}},
    ],
)
def test_the_config_schema_rejects_duplicates_and_wildcard_characters(change):
    import jsonschema

    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    config = yaml.safe_load((ROOT / "config" / "ci.yaml").read_text())
    jsonschema.validate(config, schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(config | change, schema)


# ----------------------------------------------------------------------------------------------- writes


def _commands(tmp_path):
    """null, metrics and report: a command that writes JSON or text, with valid inputs."""
    set_valid = str(MALFORMED / "set_valid.json")
    metrics_out = tmp_path / "m.json"
    return {
        "null": ["null", "--model", "embedded", "--budget", "3", "--indices", "0", "--outs", str(tmp_path / "n.json")],
        "metrics": [
            "metrics",
            "--original",
            str(MALFORMED / "eval_original.json"),
            "--conditions",
            str(MALFORMED / "eval_condition.json"),
            "--resamples",
            "100",
            "--out",
            str(metrics_out),
        ],
        "report": [
            "report",
            "csv",
            "--metrics",
            str(ROOT / "tests" / "fixtures" / "report" / "embedded-ner-cni-k100.json"),
            "--out",
            str(tmp_path / "r.csv"),
        ],
    }, set_valid


@pytest.mark.parametrize("command", ["null", "metrics", "report"])
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES])
def test_a_failed_write_is_one_line_and_leaves_no_partial_file(command, code, tmp_path, monkeypatch, capfd):
    import os

    from neuronllm.cli import EXIT_IO, main

    def refuse(*args, **kwargs):
        raise OSError(code, os.strerror(code), str(args[-1]) if args else None)

    monkeypatch.setattr("neuronllm.atomic.os.replace", refuse)
    commands, _ = _commands(tmp_path)
    rc = main(commands[command])
    stderr = capfd.readouterr().err.strip().splitlines()
    assert rc == EXIT_IO, stderr
    assert len(stderr) == 1 and os.strerror(code) in stderr[0] and "Traceback" not in stderr[0]
    assert [p.name for p in tmp_path.iterdir()] == []  # neither the output nor a temporary file


@pytest.mark.parametrize("command", ["null", "metrics", "report"])
def test_ctrl_c_is_one_line_with_status_130(command, tmp_path, monkeypatch, capfd):
    from neuronllm.cli import EXIT_INTERRUPTED, main

    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("neuronllm.atomic.os.replace", interrupt)
    commands, _ = _commands(tmp_path)
    rc = main(commands[command])
    stderr = capfd.readouterr().err.strip().splitlines()
    assert rc == EXIT_INTERRUPTED and len(stderr) == 1 and stderr[0].startswith("neuronllm: interrupted")
    assert [p.name for p in tmp_path.iterdir()] == []
