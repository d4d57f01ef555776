"""The stability study's overlap arithmetic (docs/metrics.md "Stability"): Jaccard of two neuron sets and
its exact expectation for random sets, the share of a set found in at least half the samples and its
expectation, Spearman's rank correlation of two rankings, a summary over sample pairs."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from neuronllm.errors import UserError

Key = tuple[int, int]  # (layer, index)


def jaccard(a: Iterable[Key], b: Iterable[Key]) -> float:
    """|A ∩ B| / |A ∪ B|; NaN for two empty sets (nothing to compare)."""
    first, second = set(a), set(b)
    union = len(first | second)
    return len(first & second) / union if union else math.nan


def expected_random_jaccard(n: int, k_a: int, k_b: int) -> float:
    """E[|A ∩ B| / |A ∪ B|] for A, B drawn uniformly and independently among n neurons, |A| = k_a,
    |B| = k_b: the intersection X is hypergeometric (population n, k_a marked, k_b drawn), so the
    expectation is the exact sum over x of P(X = x) · x / (k_a + k_b − x)."""
    from scipy.stats import hypergeom

    if not 0 <= k_a <= n or not 0 <= k_b <= n:
        raise UserError(f"random sets of {k_a} and {k_b} neurons cannot be drawn from {n}")
    if k_a + k_b == 0:
        return math.nan
    x = np.arange(max(0, k_a + k_b - n), min(k_a, k_b) + 1)
    return float(np.sum(hypergeom(n, k_a, k_b).pmf(x) * x / (k_a + k_b - x)))


def half_of(samples: int) -> int:
    """ "In at least half of the samples": at least ⌈S/2⌉ of them (3 of 5, 2 of 4)."""
    return math.ceil(samples / 2)


def share_in_half(sets: Sequence[Iterable[Key]]) -> list[float]:
    """For each sample's set: the share of its neurons found in at least half of the S sets (itself
    included); NaN for an empty set."""
    members = [set(s) for s in sets]
    counts = Counter(key for s in members for key in s)
    need = half_of(len(members))
    return [sum(counts[key] >= need for key in s) / len(s) if s else math.nan for s in members]


def expected_random_share_in_half(n: int, k: int, samples: int) -> float:
    """share_in_half for S independent uniform K-sets of n neurons: a neuron of one set is in each other
    set with probability k/n independently, so the share is P(1 + Binomial(S−1, k/n) ≥ ⌈S/2⌉)."""
    from scipy.stats import binom

    if not 0 < k <= n or samples < 1:
        raise UserError(f"no random share for K = {k} of {n} neurons and {samples} samples")
    return float(binom.sf(half_of(samples) - 2, samples - 1, k / n))


def rank_correlation(a: Sequence[Key], b: Sequence[Key], neuron_counts: Sequence[int]) -> float:
    """Spearman's correlation of two rankings over every neuron: a neuron's rank is its position in the
    ranked list (best first); neurons a list does not rank tie after its last. NaN when a ranking is
    constant (both lists empty)."""
    from scipy.stats import spearmanr

    offsets = np.concatenate([[0], np.cumsum(neuron_counts)])
    total = int(offsets[-1])

    def positions(ranked: Sequence[Key]) -> np.ndarray:
        values = np.full(total, len(ranked), dtype=np.float64)
        for position, (layer, index) in enumerate(ranked):
            values[offsets[layer] + index] = position
        return values

    first, second = positions(a), positions(b)
    if np.ptp(first) == 0 or np.ptp(second) == 0:
        return math.nan
    return float(spearmanr(first, second).statistic)


def summary(values: Sequence[float]) -> dict[str, float | int]:
    """Mean and the range [low, high] over the comparisons (sample pairs, or samples), NaNs left out."""
    kept = [v for v in values if not math.isnan(v)]
    if not kept:
        return {"value": math.nan, "low": math.nan, "high": math.nan, "pairs": 0}
    return {"value": float(np.mean(kept)), "low": min(kept), "high": max(kept), "pairs": len(kept)}


def pairs(count: int) -> list[tuple[int, int]]:
    """Every unordered pair of distinct samples, (0, 1), (0, 2), ... (S·(S−1)/2 of them)."""
    return [(i, j) for i in range(count) for j in range(i + 1, count)]
