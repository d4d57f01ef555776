"""One Condition type (neuronllm/model/condition.py): one parser, one validation, the factor in every identity."""

import pytest

from neuronllm.errors import UserError
from neuronllm.model.condition import EXCITE, Condition, path_suffix
from neuronllm.neurons import Neuron, NeuronSet


def test_paper_conditions_keep_their_strings_labels_and_factors():
    condition = Condition.parse("sets/ner.json:degrade-good")
    assert (condition.op, condition.part, condition.factor) == ("degrade", "good", EXCITE)
    assert condition.label == "degrade/good" and condition.spec == "sets/ner.json:degrade-good"
    assert Condition.parse("a.json:enhance").part == "both"
    assert Condition.parse("original").label == "original"
    assert path_suffix(EXCITE) == ""


@pytest.mark.parametrize(
    "text, factors",
    [
        ("a:excite-good@0.5", (0.5, 0.5)),
        ("a:enhance@3", (3.0, 0.0)),
        ("a:degrade-bad@1.5", (0.0, 1.5)),
        ("a:excite@0", (0.0, 0.0)),
    ],
)
def test_the_factor_is_what_excite_multiplies_by(text, factors):
    condition = Condition.parse(text)
    assert condition.factors() == factors
    assert Condition.parse(condition.spec) == condition  # the spec round-trips
    assert condition.label.endswith(f"@{text.rsplit('@', 1)[1]}")


def test_two_factors_never_share_an_identity_label_or_path():
    half, double = Condition("a.json", "excite", "good", factor=0.5), Condition("a.json", "excite", "good")
    assert half.identity("d") != double.identity("d")
    assert half.label != double.label
    assert path_suffix(half.factor) != path_suffix(double.factor)
    assert Condition().identity() == {"neurons": None, "op": None, "part": None, "scope": None}
    # at the paper's x2 the identity is the one written before factors existed (old request caches stay valid)
    assert double.identity("d") == {"neurons": "d", "op": "excite", "part": "good", "scope": "answer"}


@pytest.mark.parametrize(
    "text, message",
    [
        ("a:excite-good@-1", "finite number in 0..10"),
        ("a:excite-good@abc", "expected a number"),
        ("a:excite-good@inf", "finite number in 0..10"),
        ("a:excite-good@1e30", "finite number in 0..10"),
        ("a:excite-good@10.5", "finite number in 0..10"),
        ("a:excite-good@", "PATH:OP-PART"),
        ("a:silence-good@3", "silence multiplies by 0"),
        ("a:boost-good", "PATH:OP-PART"),
        ("a:excite-all", "PATH:OP-PART"),
    ],
)
def test_bad_conditions_are_one_line_errors(text, message):
    with pytest.raises(UserError, match=message) as caught:
        Condition.parse(text)
    assert "\n" not in str(caught.value)


def test_the_constructor_validates_like_the_parser():
    for kwargs in ({"op": "boost"}, {"part": "all"}, {"scope": "every"}, {"factor": -0.5}):
        with pytest.raises(UserError):
            Condition("a.json", **kwargs)


def test_neuron_factors_change_exactly_the_chosen_part_by_the_factor():
    neuron_set = NeuronSet([Neuron(0, 1, 1.0), Neuron(1, 2, 0.5)], [Neuron(2, 5, -1.0)], [8] * 3)
    assert Condition("s", "excite", "good", factor=0.5).neuron_factors(neuron_set) == {(0, 1): 0.5, (1, 2): 0.5}
    assert Condition("s", "excite", "bad", factor=4).neuron_factors(neuron_set) == {(2, 5): 4.0}
    assert Condition("s", "degrade").neuron_factors(neuron_set) == {(0, 1): 0.0, (1, 2): 0.0, (2, 5): 2.0}
    with pytest.raises(UserError, match="changes no neuron"):
        Condition("s", "excite", "bad").checked_factors(NeuronSet([Neuron(0, 1, 1.0)], [], [8] * 3), "s")


def test_metrics_keys_carry_a_non_default_factor():
    from neuronllm.analysis.metrics_files import condition_key

    assert condition_key({"condition": {"op": "enhance", "part": "good"}}) == "enh/good"  # files before factors
    assert condition_key({"condition": {"op": "enhance", "part": "good", "factor": 2.0}}) == "enh/good"
    assert condition_key({"condition": {"op": "excite", "part": "good", "factor": 0.5}}) == "enh/good@0.5"
