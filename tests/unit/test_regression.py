"""The CI regression check's comparison: readable differences beyond the tolerance."""

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / ".ci"))  # CI code lives beside .ci/run, not in the library
from regression import collect, compare, on_target_differences  # noqa: E402  (after the path to .ci/)


def test_regression_compare_reports_moves_beyond_tolerance():
    reference = {
        "ner/cni/k10/original": {"acc": 0.5, "comprehension": 0.4},
        "ner/cni/k10/deg/both": {"acc": 0.3, "comprehension": 0.2},
    }
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


def test_collect_reads_only_the_plans_layout(tmp_path):
    # A v0.1 file (no s{seed} level) left in the results directory once overrode the run's numbers.

    def metrics(acc):
        return {
            "task": "sentiment",
            "method": "tn",
            "budget": 50,
            "seed": 0,
            "original": {"acc": 0.5, "comprehension": 0.5},
            "conditions": {"deg/good": {"acc": acc, "comprehension": 0.5}},
        }

    current = tmp_path / "embedded" / "s0" / "sentiment" / "tn" / "k50" / "metrics.json"
    stale = tmp_path / "embedded" / "sentiment" / "tn" / "k50" / "metrics.json"
    for path, acc in ((current, 0.5278), (stale, 0.5)):
        path.parent.mkdir(parents=True)
        path.write_text(json.dumps(metrics(acc)))
    assert collect(str(tmp_path))["s0/sentiment/tn/k50/deg/good"]["acc"] == 0.5278


def test_the_specificity_matrix_on_target_cells_must_equal_table1(tmp_path):
    """The matrix evaluates a task's own set on its task again (one rule for every column): those cells
    are kept out of the reference's keys (they are Table 1's) and compared with Table 1 instead."""

    def write(path, acc, **extra):
        path.parent.mkdir(parents=True, exist_ok=True)
        metrics = {"task": "sentiment", "method": "cni", "budget": 50, "seed": 0, **extra,
                   "original": {"acc": 0.5}, "conditions": {"deg/both": {"acc": acc}}}  # fmt: skip
        path.write_text(json.dumps(metrics))

    run = tmp_path / "embedded" / "s0"
    write(run / "sentiment" / "cni" / "k50" / "metrics.json", 0.25)
    write(run / "specificity" / "sentiment" / "sentiment" / "metrics.json", 0.25, neurons_from="sentiment")
    write(run / "specificity" / "commonsense" / "sentiment" / "metrics.json", 0.75, neurons_from="commonsense")
    numbers = collect(str(tmp_path))
    assert numbers["s0/sentiment/cni/k50/deg/both"] == {"acc": 0.25}
    assert numbers["s0/specificity/commonsense->sentiment/cni/k50/deg/both"] == {"acc": 0.75}
    assert on_target_differences(numbers, str(tmp_path)) == []
    write(run / "specificity" / "sentiment" / "sentiment" / "metrics.json", 0.4, neurons_from="sentiment")
    assert collect(str(tmp_path)) == numbers  # the on-target file no longer overrides Table 1's entry
    problems = on_target_differences(numbers, str(tmp_path))
    assert len(problems) == 1 and "deg/both" in problems[0] and "0.4000" in problems[0], problems
