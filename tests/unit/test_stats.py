"""Uncertainty (neuronllm/analysis/stats.py) against hand-computed examples and scipy."""

import math

import numpy as np
import pytest

from neuronllm.analysis.stats import (
    Answers,
    answers_from_predictions,
    bias_diagnostics,
    effect_statistics,
    excludes_no_effect,
    mcnemar_exact,
    signed_relative,
    softmax_gold,
)


def predictions(correct_by_instance, scores=None):
    rows = []
    for i, correct in enumerate(correct_by_instance):
        for proxy, right in enumerate(correct):
            rows.append(
                {
                    "instance_id": f"evaluate:{i}",
                    "proxy": proxy,
                    "gold": 0,
                    "prediction": 0 if right else 1,
                    "correct": right,
                    "scores": scores or ([0.0, -1.0] if right else [-1.0, 0.0]),
                    "gold_text": "positive",
                    "predicted_text": "positive" if right else "negative",
                }
            )
    return rows


def test_softmax_gold_by_hand():
    assert softmax_gold([0.0, 0.0], 1) == pytest.approx(0.5)
    assert softmax_gold([math.log(3), 0.0], 0) == pytest.approx(0.75)
    assert softmax_gold([-1000.0, -1001.0], 0) == pytest.approx(1 / (1 + math.exp(-1)))  # no underflow


def test_answers_group_an_instances_proxies():
    answers = answers_from_predictions(predictions([[True, True, False], [False, False, True]]))
    assert answers.correct.tolist() == [[True, True, False], [False, False, True]]
    assert answers.acc == pytest.approx(0.5) and answers.comprehension == pytest.approx(0.5)


@pytest.mark.parametrize("b, c", [(0, 0), (3, 0), (5, 2), (10, 10), (1, 9), (40, 25)])
def test_mcnemar_exact_equals_scipy_binomial_test(b, c):
    from scipy.stats import binomtest

    expected = 1.0 if b + c == 0 else binomtest(min(b, c), b + c, 0.5).pvalue
    assert mcnemar_exact(b, c) == pytest.approx(expected)
    assert mcnemar_exact(b, c) == mcnemar_exact(c, b)


def test_mcnemar_by_hand():
    assert mcnemar_exact(3, 0) == pytest.approx(2 * 1 / 8)  # 2·P(X <= 0), X ~ Bin(3, 1/2)
    assert mcnemar_exact(4, 1) == pytest.approx(2 * 6 / 32)  # P(X <= 1) = (1 + 5)/32


def test_signed_relative_change_by_hand():
    original, intervened = np.array([0.4, 0.0]), np.array([0.3, 0.2])
    deg = signed_relative(original, intervened, "deg")
    assert deg[0] == pytest.approx(25.0) and math.isnan(deg[1])  # a 0 baseline has no relative scale
    assert signed_relative(original, intervened, "enh")[0] == pytest.approx(-25.0)


def test_effect_statistics_point_estimates_and_flips():
    before = answers_from_predictions(predictions([[True, True, True], [True, False, False], [False, False, False]]))
    after = answers_from_predictions(predictions([[True, False, False], [True, False, False], [False, True, False]]))
    stats = effect_statistics(before, after, "deg", resamples=500, seed=1)
    assert stats["acc_delta"] == pytest.approx(3 / 9 - 4 / 9)
    assert stats["com_delta"] == pytest.approx(0 - 1 / 3)
    assert stats["rac_signed"] == pytest.approx(25.0)  # acc 4/9 -> 3/9 is a 25% drop, the intended way
    assert stats["rcc_signed"] == pytest.approx(100.0)
    assert stats["flips_lost"] == 2 and stats["flips_gained"] == 1
    assert stats["mcnemar_p"] == pytest.approx(1.0)
    assert stats["rac_signed_low"] <= 25.0 <= stats["rac_signed_high"]


def test_bootstrap_resamples_instances_not_proxies():
    """All 3 proxies of an instance flip together: an instance-level bootstrap sees 2 units, so its
    interval is wide; identical answers give a degenerate interval at 0."""
    before = answers_from_predictions(predictions([[True] * 3, [True] * 3]))
    after = answers_from_predictions(predictions([[False] * 3, [True] * 3]))
    stats = effect_statistics(before, after, "deg", resamples=2000, seed=0)
    assert stats["acc_delta"] == pytest.approx(-0.5)
    assert stats["acc_delta_low"] == pytest.approx(-1.0) and stats["acc_delta_high"] == pytest.approx(0.0)
    same = effect_statistics(before, before, "deg", resamples=200, seed=0)
    assert same["acc_delta_low"] == same["acc_delta_high"] == 0.0
    assert not excludes_no_effect(same["rac_signed_low"], same["rac_signed_high"])


def test_bootstrap_interval_matches_scipy_for_a_mean():
    """The percentile interval of the accuracy change agrees with scipy's bootstrap (percentile method)
    on the per-instance changes, within Monte Carlo error."""
    from scipy.stats import bootstrap

    rng = np.random.default_rng(3)
    before_correct = rng.random((60, 3)) < 0.6
    after_correct = before_correct & (rng.random((60, 3)) < 0.7)
    before = Answers(before_correct, before_correct.astype(float))
    after = Answers(after_correct, after_correct.astype(float))
    ours = effect_statistics(before, after, "deg", resamples=4000, seed=0)
    per_instance = (after_correct.mean(axis=1) - before_correct.mean(axis=1),)
    theirs = bootstrap(per_instance, np.mean, n_resamples=4000, method="percentile", random_state=0).confidence_interval
    assert ours["acc_delta_low"] == pytest.approx(theirs.low, abs=0.02)
    assert ours["acc_delta_high"] == pytest.approx(theirs.high, abs=0.02)


def test_bias_diagnostics_of_a_constant_answer():
    """A model that always answers 'negative' on a 2-label task: accuracy 50%, balanced accuracy 50%,
    one answer 100% of the time, at chance."""
    rows = []
    for i in range(20):
        gold_text = "positive" if i % 2 else "negative"
        for proxy in range(3):
            gold = proxy % 2
            options = (
                [gold_text, "negative" if gold_text == "positive" else "positive"]
                if gold == 0
                else ["negative" if gold_text == "positive" else "positive", gold_text]
            )
            prediction = options.index("negative")
            rows.append(
                {
                    "instance_id": f"e:{i}",
                    "proxy": proxy,
                    "gold": gold,
                    "prediction": prediction,
                    "correct": prediction == gold,
                    "scores": [0.0, -1.0] if prediction == 0 else [-1.0, 0.0],
                    "gold_text": gold_text,
                    "predicted_text": "negative",
                }
            )
    bias = bias_diagnostics(rows, resamples=500)
    assert bias["chance"] == pytest.approx(0.5) and bias["acc"] == pytest.approx(0.5)
    assert bias["balanced_acc"] == pytest.approx(0.5) and bias["balanced_over"] == "gold answer text"
    assert bias["top_answer"] == "negative" and bias["top_answer_share"] == pytest.approx(1.0)
    assert bias["at_chance"] is True
