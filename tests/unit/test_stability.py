"""The stability study's overlap arithmetic against hand-computed examples (docs/metrics.md "Stability")."""

import itertools
import math

import pytest
import torch

from neuronllm.analysis.stability import (
    expected_random_jaccard,
    expected_random_share_in_half,
    half_of,
    jaccard,
    pairs,
    pool_blocks,
    rank_correlation,
    share_in_half,
    subset,
    summary,
)
from neuronllm.attribution.kinds import Attributions
from neuronllm.errors import UserError


def keys(*indices):
    return [(0, i) for i in indices]


def test_jaccard_by_hand():
    assert jaccard(keys(1, 2, 3), keys(2, 3, 4)) == 2 / 4
    assert jaccard(keys(1), keys(2)) == 0
    assert jaccard(keys(1, 2), keys(2, 1)) == 1
    assert jaccard(keys(), keys(1)) == 0
    assert math.isnan(jaccard([], []))


def test_expected_random_jaccard_by_hand():
    """n = 4, K = 2: |A ∩ B| = 0, 1, 2 with probability 1/6, 4/6, 1/6 (hypergeometric), Jaccard 0, 1/3, 1:
    E = 4/6 · 1/3 + 1/6 = 7/18. n = 3: |A ∩ B| = 1 (2/3) or 2 (1/3): E = 2/9 + 1/3 = 5/9. Single neurons of
    5: equal with probability 1/5."""
    assert expected_random_jaccard(4, 2, 2) == pytest.approx(7 / 18, abs=1e-12)
    assert expected_random_jaccard(3, 2, 2) == pytest.approx(5 / 9, abs=1e-12)
    assert expected_random_jaccard(5, 1, 1) == pytest.approx(1 / 5, abs=1e-12)
    assert expected_random_jaccard(6, 3, 6) == pytest.approx(1 / 2, abs=1e-12)  # B is everything: J = 3/6
    with pytest.raises(UserError, match="cannot be drawn"):
        expected_random_jaccard(3, 4, 1)


def test_expected_random_jaccard_is_the_mean_over_every_pair_of_sets():
    """Brute force over all 2-sets and 3-sets of 6 neurons."""
    twos, threes = list(itertools.combinations(range(6), 2)), list(itertools.combinations(range(6), 3))
    brute = sum(jaccard(keys(*a), keys(*b)) for a in twos for b in threes) / (len(twos) * len(threes))
    assert expected_random_jaccard(6, 2, 3) == pytest.approx(brute, abs=1e-12)


def test_share_in_half_by_hand():
    """S = 3 (half: 2 sets). Counts: 1 in 3 sets, 2 in 2, the rest in 1. A keeps {1, 2}: 2/3; B too; C {1}: 1/3.
    With a fourth set {7} (S = 4, half still 2): A 2/3, D 0."""
    a, b, c = keys(1, 2, 3), keys(1, 2, 4), keys(1, 5, 6)
    assert share_in_half([a, b, c]) == [2 / 3, 2 / 3, 1 / 3]
    assert share_in_half([a, b, c, keys(7)]) == [2 / 3, 2 / 3, 1 / 3, 0]
    assert [half_of(s) for s in (1, 2, 3, 4, 5)] == [1, 1, 2, 2, 3]
    shares = share_in_half([a, []])
    assert shares[0] == 1 and math.isnan(shares[1])  # half of 2 is 1: every neuron is in itself


def test_expected_random_share_in_half_by_hand_and_by_brute_force():
    """n = 4, K = 2: another set holds a given neuron with probability 1/2. S = 3: P(Bin(2, 1/2) >= 1) = 3/4.
    S = 5: P(Bin(4, 1/2) >= 2) = 1 - 5/16 = 11/16. Brute force over all triples of 2-sets agrees."""
    assert expected_random_share_in_half(4, 2, 3) == pytest.approx(3 / 4, abs=1e-12)
    assert expected_random_share_in_half(4, 2, 5) == pytest.approx(11 / 16, abs=1e-12)
    assert expected_random_share_in_half(4, 2, 2) == 1
    sets = list(itertools.combinations(range(4), 2))
    triples = list(itertools.product(sets, repeat=3))
    brute = sum(share_in_half([keys(*s) for s in triple])[0] for triple in triples) / len(triples)
    assert expected_random_share_in_half(4, 2, 3) == pytest.approx(brute, abs=1e-12)


def test_rank_correlation_by_hand():
    """Positions in the ranked list; unranked neurons tie after the last. Two layers of 2 neurons."""
    order = [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert rank_correlation(order, order, [2, 2]) == pytest.approx(1)
    assert rank_correlation(order, order[::-1], [2, 2]) == pytest.approx(-1)
    # a: ranks 0, 1, 2, 2 (tied) -> average ranks 1, 2, 3.5, 3.5; b: neuron (1, 1) first, the rest tied:
    # 2, 2, 2, 0 -> 3, 3, 3, 1. Pearson of (1, 2, 3.5, 3.5) and (3, 3, 3, 1): -0.8703882797784892 by hand:
    # centred (-1.5, -.5, 1, 1) and (.5, .5, .5, -1.5): sum 0.5*(-1.5-.5+1) - 1.5 = -2; norms sqrt(4.5), sqrt(3)
    assert rank_correlation(order[:2], [(1, 1)], [2, 2]) == pytest.approx(-2 / math.sqrt(4.5 * 3))
    assert math.isnan(rank_correlation([], order, [2, 2]))


def test_summary_and_pairs():
    assert summary([0.5, math.nan, 0.25]) == {"value": 0.375, "low": 0.25, "high": 0.5, "pairs": 2}
    assert summary([math.nan])["pairs"] == 0
    assert pairs(3) == [(0, 1), (0, 2), (1, 2)] and len(pairs(5)) == 10


def test_samples_are_disjoint_blocks_of_the_pool():
    ids = ["a", "a", "b", "b", "c", "c"]
    scores = torch.arange(6, dtype=torch.float32).reshape(6, 1, 1)
    pool = Attributions(ids, {"activation": scores}, {"task": "ner"})
    assert pool_blocks(pool, 1, 2, start=1) == [["b"], ["c"]]
    assert pool_blocks(pool, 2, 1) == [["a", "b"]]
    part = subset(pool, ["c"])
    assert part.instance_ids == ["c", "c"] and part.scores["activation"].flatten().tolist() == [4.0, 5.0]
    with pytest.raises(UserError, match="2 sample\\(s\\) of 2 instance\\(s\\) from instance 0 need 4"):
        pool_blocks(pool, 2, 2)


def test_random_draws_a_set_of_its_own_per_sample_and_variant():
    """RANDOM reads no data: with the study's seed alone every sample would get the same set (Jaccard 1)."""
    from neuronllm.analysis.stability import identify_sample

    ids = [f"i{n}" for n in range(4) for _ in range(3)]
    pools = {"ner": Attributions(ids, {"activation": torch.zeros(12, 2, 50)}, {"task": "ner"})}
    first, again = (identify_sample("random", pools, "ner", 0, 2, 10) for _ in range(2))
    second = identify_sample("random", pools, "ner", 1, 2, 10)
    other_variant = identify_sample("random", pools, "ner", 0, 2, 10, variant="steps")
    assert first.good == again.good and len(first.good) == 10
    assert first.good != second.good and first.good != other_variant.good
