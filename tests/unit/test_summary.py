"""Metrics files (neuronllm/analysis/metrics_files.py) from hand-made evaluations: effects, intervals, the null band."""

import json

import pytest
from evaluations import SETTINGS, from_correct, null_evaluation
from evaluations import evaluation as evaluation_file

from neuronllm.analysis.metrics_files import build_metrics, write_metrics
from neuronllm.errors import UserError


def evaluation(correct, op=None, part="both", settings=None, neurons="set.json"):
    """An AQUA evaluation of len(correct) instances x 3 proxies; gold 0 of 2 options (tests/evaluations.py)."""
    return evaluation_file(from_correct(correct), op, part, settings, neurons)


ORIGINAL = [[True, True, False], [True, True, True], [False, False, True], [True, False, False]]  # acc 7/12, com 2/4
DEGRADED = [
    [True, False, False],
    [True, True, False],
    [False, False, False],
    [False, False, False],
]  # acc 3/12, com 1/4


def test_effect_and_intervals_by_hand():
    metrics = build_metrics(
        evaluation(ORIGINAL), [evaluation(DEGRADED, "degrade")], {"method": "cni", "budget": 100}, resamples=500
    )
    deg = metrics["conditions"]["deg/both"]
    assert deg["rac"] == pytest.approx((7 / 12 - 3 / 12) / (7 / 12) * 100)  # 57.1
    assert deg["rcc"] == pytest.approx(50.0) and deg["fail"] is False
    assert deg["rac_signed"] == pytest.approx(deg["rac"])  # the intended direction: the same number
    assert deg["flips_lost"] == 4 and deg["flips_gained"] == 0
    assert deg["mcnemar_p"] == pytest.approx(2 / 16)
    assert deg["rac_signed_low"] <= deg["rac_signed"] <= deg["rac_signed_high"]
    assert deg["gold_prob_signed"] > 0  # the gold option lost probability
    assert metrics["original"]["acc"] == pytest.approx(7 / 12) and metrics["original"]["acc_low"] <= 7 / 12
    assert metrics["bias"]["chance"] == pytest.approx(0.5)
    assert metrics["method"] == "cni" and metrics["data"] == "shipped"


def test_a_degrader_that_raised_accuracy_fails():
    improved = [[True, True, True]] * 4
    metrics = build_metrics(evaluation(ORIGINAL), [evaluation(improved, "degrade")], {}, resamples=100)
    assert metrics["conditions"]["deg/both"]["fail"] is True
    assert metrics["conditions"]["deg/both"]["rac_signed"] < 0


def test_null_band_is_attached_per_condition_key():
    nulls = [null_evaluation(from_correct(ORIGINAL * 4), i) for i in range(3)]  # random sets: no effect
    metrics = build_metrics(evaluation(ORIGINAL * 4), [evaluation(DEGRADED * 4, "degrade")], {}, nulls, resamples=400)
    null = metrics["conditions"]["deg/both"]["null"]
    assert null["sets"] == 3 and null["rac_signed"]["mean"] == pytest.approx(0.0)
    assert null["rac_signed"]["p"] < 0.025 and null["outside"]["rac_signed"] is True
    assert len(null["draws"]) == 3 and null["draws"][0]["rac_signed"] == pytest.approx(0.0)
    with pytest.raises(UserError, match="a null draw of deg/both, and no condition of this call is deg/both"):
        build_metrics(evaluation(ORIGINAL * 4), [evaluation(DEGRADED * 4, "degrade", "good")], {}, nulls, resamples=100)


def test_zero_baseline_is_null_with_a_reason_in_strict_json(tmp_path):
    zero = [[False, False, False]] * 4
    paths = []
    for name, obj in (("o.json", evaluation(zero)), ("e.json", evaluation([[True, True, False]] * 4, "enhance"))):
        (tmp_path / name).write_text(json.dumps(obj))
        paths.append(str(tmp_path / name))
    write_metrics(paths[0], [paths[1]], str(tmp_path / "m.json"), resamples=50)
    text = (tmp_path / "m.json").read_text()
    assert "Infinity" not in text and "NaN" not in text
    enh = json.loads(text)["conditions"]["enh/both"]
    assert enh["rac"] is None and "original acc is 0" in enh["rac_undefined"]


def test_mismatched_inputs_are_refused(tmp_path):
    original = evaluation(ORIGINAL)
    with pytest.raises(UserError, match="other data"):
        build_metrics(original, [evaluation(DEGRADED, "degrade", settings=SETTINGS | {"seed": 1})], {})
    other_source = evaluation(DEGRADED, "degrade") | {"data_source": ["hub"]}
    with pytest.raises(UserError, match="other data"):
        build_metrics(original, [other_source], {})
    with pytest.raises(UserError, match="given more than once"):
        build_metrics(original, [evaluation(DEGRADED, "degrade"), evaluation(DEGRADED, "degrade")], {})
    only_cache_differs = evaluation(DEGRADED, "degrade", settings=SETTINGS | {"prefix_cache": "/tmp/cache"})
    assert "deg/both" in build_metrics(original, [only_cache_differs], {}, resamples=50)["conditions"]


def test_file_level_checks(tmp_path):
    good = tmp_path / "o.json"
    good.write_text(json.dumps(evaluation(ORIGINAL)))
    condition = tmp_path / "c.json"
    condition.write_text(json.dumps(evaluation(DEGRADED, "degrade")))
    out = str(tmp_path / "m.json")
    with pytest.raises(UserError, match="not an intervention condition"):
        write_metrics(str(good), [str(good)], out)
    with pytest.raises(UserError, match="original must be an unmodified evaluation"):
        write_metrics(str(condition), [str(condition)], out)
    nan = tmp_path / "nan.json"
    nan.write_text(condition.read_text().replace('"acc": 0.25', '"acc": NaN'))
    with pytest.raises(UserError, match="nan.json: not valid JSON"):
        write_metrics(str(good), [str(nan)], out)
    with pytest.raises(UserError, match="--info must be a JSON object"):
        write_metrics(str(good), [str(condition)], out, "[1, 2]")
    with pytest.raises(UserError, match="'budget' must be int"):
        write_metrics(str(good), [str(condition)], out, '{"budget": "ten"}')
    assert not (tmp_path / "m.json").exists()
