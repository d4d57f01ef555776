"""The command line: one-line errors before any model loads."""

import subprocess
import sys

import pytest


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "neuronllm.cli", *args], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    "args, message",
    [
        (["identify", "--task", "nerr", "--method", "cni", "--out", "X"], "unknown task 'nerr'"),
        (["identify", "--task", "ner", "--method", "foo", "--out", "X"], "unknown method 'foo'"),
        (
            [
                "identify",
                "--task",
                "ner",
                "--method",
                "cni",
                "--budget",
                "50000",
                "--data-files",
                "shipped",
                "--out",
                "X",
            ],
            "budget 50000 (50000 good + 50000 bad neurons) is larger than the model's 46080 neurons",
        ),
        (
            ["identify", "--task", "ner", "--method", "cni", "--data-files", "{broken", "--out", "X"],
            "--data-files must be",
        ),
        (
            ["evaluate", "--task", "ner", "--model", "/no/such/model", "--data-files", "shipped", "--out", "X"],
            "cannot load model",
        ),
    ],
)
def test_bad_requests_fail_with_one_line_and_no_output(tmp_path, args, message):
    args = [a if a != "X" else str(tmp_path / "out.json") for a in args]
    result = run_cli(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "out.json").exists()
