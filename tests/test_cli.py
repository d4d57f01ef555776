"""The command line: one-line errors before any model loads, metrics files, the regression diff."""

import json
import subprocess
import sys

import pytest

from neuronllm.regression import compare
from neuronllm.summary import build_metrics


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "neuronllm.cli", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "args, message",
    [
        (["identify", "--task", "nerr", "--method", "cni", "--out", "X"], "unknown task 'nerr'"),
        (["identify", "--task", "ner", "--method", "foo", "--out", "X"], "unknown method 'foo'"),
        (["identify", "--task", "ner", "--method", "cni", "--budget", "50000", "--data-files", "shipped", "--out", "X"],
         "budget 50000 is larger than the model's 46080 neurons"),
        (["identify", "--task", "ner", "--method", "cni", "--data-files", "{broken", "--out", "X"], "--data-files must be"),
        (["evaluate", "--task", "ner", "--model", "/no/such/model", "--data-files", "shipped", "--out", "X"], "cannot load model"),
    ],
)
def test_bad_requests_fail_with_one_line_and_no_output(tmp_path, args, message):
    args = [a if a != "X" else str(tmp_path / "out.json") for a in args]
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "out.json").exists()


def evaluation(label, op, part, acc, com, settings=None):
    return {
        "model": "embedded", "task": "ner", "condition": {"op": op, "part": part, "label": label},
        "settings": settings or {"answer_format": "text", "seed": 0, "data_files": "shipped"},
        "acc": acc, "comprehension": com, "n_instances": 10,
    }


def test_metrics_by_hand():
    original = evaluation("original", None, None, 0.5, 0.4)
    deg = evaluation("degrade/both", "degrade", "both", 0.25, 0.5)  # comprehension rose: Fail
    enh = evaluation("enhance/both", "enhance", "both", 0.6, 0.5)
    metrics = build_metrics(original, [deg, enh], {"method": "cni", "budget": 10})
    assert metrics["conditions"]["deg/both"]["rac"] == pytest.approx(50.0)
    assert metrics["conditions"]["deg/both"]["fail"] is True
    assert metrics["conditions"]["enh/both"]["rac"] == pytest.approx(20.0)
    assert metrics["conditions"]["enh/both"]["rcc"] == pytest.approx(25.0)
    assert metrics["conditions"]["enh/both"]["fail"] is False
    assert metrics["method"] == "cni" and metrics["data"] == "shipped"


def test_metrics_refuse_mismatched_data():
    from neuronllm.errors import UserError

    original = evaluation("original", None, None, 0.5, 0.4)
    other = evaluation("degrade/both", "degrade", "both", 0.2, 0.2, {"answer_format": "text", "seed": 1, "data_files": "shipped"})
    with pytest.raises(UserError, match="other data"):
        build_metrics(original, [other], {})


def test_regression_compare_reports_moves_beyond_tolerance():
    reference = {"ner/cni/k10/original": {"acc": 0.5, "comprehension": 0.4}, "ner/cni/k10/deg/both": {"acc": 0.3, "comprehension": 0.2}}
    same = json.loads(json.dumps(reference))
    same["ner/cni/k10/original"]["acc"] = 0.505
    assert compare(reference, same, 0.01) == []
    moved = json.loads(json.dumps(reference))
    moved["ner/cni/k10/deg/both"]["comprehension"] = 0.3
    del moved["ner/cni/k10/original"]
    problems = compare(reference, moved, 0.01)
    assert len(problems) == 2
    assert any("missing now" in p for p in problems)
    assert any("reference 0.2000  now 0.3000" in p for p in problems)
