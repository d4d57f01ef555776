"""The CI regression check's comparison: readable differences beyond the tolerance."""

import json

from neuronllm.regression import compare


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
