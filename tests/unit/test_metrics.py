import math

import pytest

from neuronllm.analysis.metrics import accuracy, average_effect, comprehension, effect, relative_change
from neuronllm.errors import UserError


def test_accuracy_is_share_of_proxies_right():
    assert accuracy([True, False, True, False]) == 0.5
    assert accuracy([True, True, True, False]) == 0.75
    with pytest.raises(ValueError):
        accuracy([])


def test_comprehension_needs_two_of_three():
    # instance a: 3/3, b: 2/3, c: 1/3, d: 0/3 right -> a and b comprehended -> 0.5; proxies interleaved on purpose
    answers = [
        ("a", True),
        ("b", True),
        ("c", False),
        ("d", False),
        ("a", True),
        ("b", False),
        ("c", True),
        ("d", False),
        ("a", True),
        ("b", True),
        ("c", False),
        ("d", False),
    ]
    assert comprehension(answers) == 0.5
    assert comprehension(answers, min_correct=3) == 0.25
    assert comprehension(answers, min_correct=1) == 0.75
    assert accuracy([ok for _, ok in answers]) == 0.5


def test_relative_change_eq6():
    assert relative_change(0.5, 0.25) == pytest.approx(50.0)
    assert relative_change(0.4, 0.5) == pytest.approx(25.0)
    assert relative_change(0.3, 0.3) == 0.0


def test_relative_change_from_zero_baseline():
    assert relative_change(0.0, 0.0) == 0.0
    assert relative_change(0.0, 0.1) == math.inf


def test_effect_degrader_success():
    result = effect({"acc": 0.5, "comprehension": 0.4}, {"acc": 0.25, "comprehension": 0.1}, "deg")
    assert result["rac"] == pytest.approx(50.0)
    assert result["rcc"] == pytest.approx(75.0)
    assert result["acc_delta"] == pytest.approx(-0.25)
    assert result["com_delta"] == pytest.approx(-0.3)
    assert result["fail"] is False


@pytest.mark.parametrize(
    "direction, intervened",
    [
        ("deg", {"acc": 0.55, "comprehension": 0.3}),  # degrader raised accuracy
        ("deg", {"acc": 0.45, "comprehension": 0.5}),  # degrader raised comprehension only
        ("enh", {"acc": 0.45, "comprehension": 0.5}),  # enhancer lowered accuracy
        ("enh", {"acc": 0.6, "comprehension": 0.35}),  # enhancer lowered comprehension only
    ],
)
def test_effect_fails_when_either_metric_moves_the_wrong_way(direction, intervened):
    assert effect({"acc": 0.5, "comprehension": 0.4}, intervened, direction)["fail"] is True


def test_effect_unchanged_is_not_a_fail():
    for direction in ("deg", "enh"):
        result = effect({"acc": 0.5, "comprehension": 0.4}, {"acc": 0.5, "comprehension": 0.4}, direction)
        assert result["fail"] is False and result["rac"] == 0.0 and result["rcc"] == 0.0


def test_effect_enhancer_success():
    result = effect({"acc": 0.4, "comprehension": 0.3}, {"acc": 0.5, "comprehension": 0.36}, "enh")
    assert result["rac"] == pytest.approx(25.0) and result["rcc"] == pytest.approx(20.0)
    assert result["fail"] is False


def test_effect_zero_baseline():
    zero = {"acc": 0.0, "comprehension": 0.0}
    assert effect(zero, zero, "deg") == {"rac": 0.0, "rcc": 0.0, "acc_delta": 0.0, "com_delta": 0.0, "fail": False}
    raised = {"acc": 0.2, "comprehension": 0.1}
    assert effect(zero, raised, "deg")["fail"] is True
    enhanced = effect(zero, raised, "enh")
    assert enhanced["fail"] is False and enhanced["rac"] == math.inf


def test_effect_rejects_unknown_direction():
    with pytest.raises(UserError, match="'up'"):
        effect({"acc": 0.5, "comprehension": 0.4}, {"acc": 0.5, "comprehension": 0.4}, "up")


def _e(rac, rcc, acc_delta, com_delta):
    return {"rac": rac, "rcc": rcc, "acc_delta": acc_delta, "com_delta": com_delta, "fail": False}


def test_average_uses_signed_changes_like_the_paper():
    # Paper Table 1, LLaMA 2-7B, QRNCA Deg: 48.9/46.0, 9.4/16.0, 60.4/70.0 and a Fail on Commonsense whose
    # comprehension rose; the printed average 30.3/31.5 only comes out with the Fail's RCC counted negatively.
    effects = [
        _e(48.9, 46.0, -0.1, -0.1),
        _e(9.4, 16.0, -0.1, -0.1),
        _e(60.4, 70.0, -0.1, -0.1),
        _e(2.5, 6.0, -0.01, +0.01),
    ]
    average = average_effect(effects, "deg")
    assert average["rac"] == pytest.approx(30.3)
    assert average["rcc"] == pytest.approx(31.5)
    assert average["fail"] is False and average["n"] == 4


def test_average_fails_when_a_signed_mean_is_negative():
    # Paper Table 1, LLaMA 2-7B, RANDOM Deg-style: mostly wrong-way changes.
    effects = [_e(5.0, 0.0, +0.05, 0.0), _e(1.0, 0.0, -0.01, 0.0)]
    assert average_effect(effects, "deg")["fail"] is True
    assert average_effect(effects, "deg")["rac"] == pytest.approx(-2.0)
    # the same changes are a success for an enhancer
    assert average_effect(effects, "enh") == {"rac": pytest.approx(2.0), "rcc": 0.0, "fail": False, "n": 2}


def test_average_cancelling_to_zero_is_not_a_fail():
    wrong = effect({"acc": 0.4, "comprehension": 0.3}, {"acc": 0.42, "comprehension": 0.27}, "enh")
    right = effect({"acc": 0.8, "comprehension": 0.6}, {"acc": 0.84, "comprehension": 0.66}, "enh")
    assert wrong["fail"] is True
    average = average_effect([wrong, right], "enh")
    assert average["rcc"] == pytest.approx(0.0, abs=1e-9)
    assert average["rac"] == pytest.approx(5.0)
    assert average["fail"] is False


def test_average_of_nothing_is_an_error():
    with pytest.raises(ValueError):
        average_effect([], "deg")
