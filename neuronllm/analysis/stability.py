"""Are the sets a property of the task? The stability study's overlap arithmetic and set comparisons
(issue 28; definitions in docs/metrics.md "Stability").

Identification samples are disjoint blocks of consecutive instances of one attribution file computed on
a pool of instances (`pool_blocks`): per-proxy scores do not depend on the other proxies, so the
proxies of instances [s·n, (s+1)·n) of the pool are those an identification on that block computes.
Selection (the methods' `select`) then runs on each block, which costs no forward or backward pass.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neuronllm.attribution.kinds import Attributions
from neuronllm.errors import UserError

Key = tuple[int, int]  # (layer, index)
SIDES = ("good", "bad")


# -- overlap arithmetic ----------------------------------------------------------------------------------


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


# -- identification samples --------------------------------------------------------------------------------


def pool_blocks(attributions: Attributions, size: int, count: int, start: int = 0) -> list[list[str]]:
    """`count` disjoint blocks of `size` consecutive instances (in split order) from instance `start` on."""
    instances = list(attributions.by_instance())
    needed = start + size * count
    if size < 1 or needed > len(instances):
        raise UserError(
            f"{count} sample(s) of {size} instance(s) from instance {start} need {needed} identification instances; "
            f"the attribution pool of task {attributions.provenance.get('task', '?')} has {len(instances)}"
        )
    return [instances[start + i * size : start + (i + 1) * size] for i in range(count)]


def subset(attributions: Attributions, instances: Sequence[str]) -> Attributions:
    """The proxies of these instances: the attributions an identification on them alone computes."""
    groups = attributions.by_instance()
    rows = [row for instance in instances for row in groups[instance]]
    index = np.asarray(rows)
    return Attributions(
        [attributions.instance_ids[r] for r in rows],
        {kind: scores[index] for kind, scores in attributions.scores.items()},
        dict(attributions.provenance) | {"sample": list(instances)},
    )


@dataclass
class Identified:
    """One method's sets on one sample: the top-K sides and the long rankings the rank correlation reads."""

    good: list[Key]
    bad: list[Key]
    ranked: dict[str, list[Key]] = field(default_factory=dict)
    scores: dict[str, list[tuple[int, int, float]]] = field(default_factory=dict)


def identify_sample(
    method: str,
    pools: dict[str, Attributions],
    task: str,
    block: int,
    size: int,
    budget: int,
    seed: int = 0,
    z: int = 1000,
    start: int = 0,
) -> Identified:
    """`method`'s sets for `task` on sample `block` (instances start + block·size ... of every pool; a
    contrast method's other tasks use the same positions of their own pools)."""
    from neuronllm.methods import get_method

    chosen = get_method(method)

    def sample(name: str) -> Attributions:
        return subset(pools[name], pool_blocks(pools[name], size, block + 1, start)[block])

    own = sample(task)
    options: dict[str, Any] = {"z": z, "neuron_counts": own.neuron_counts}
    if chosen.other_tasks:
        options["others"] = [sample(other) for other in pools if other != task]
    good, bad = chosen.select(own, budget, seed=seed, **options)
    long_good, long_bad = chosen.select(own, sum(own.neuron_counts) // 2, seed=seed, **options)
    return Identified(
        [(layer, index) for layer, index, _ in good],
        [(layer, index) for layer, index, _ in bad],
        {
            "good": [(layer, index) for layer, index, _ in long_good],
            "bad": [(layer, index) for layer, index, _ in long_bad],
        },
        {"good": good, "bad": bad},
    )


def side(identified: Identified, name: str) -> list[Key]:
    return identified.good if name == "good" else identified.bad


def compare(
    first: Sequence[Identified],
    second: Sequence[Identified],
    neuron_counts: Sequence[int],
    matched: Callable[[int], list[tuple[int, int]]],
) -> dict[str, dict[str, dict[str, float | int]]]:
    """{side: {statistic: summary}} of Jaccard and rank correlation over the index pairs `matched(len)`
    (pairs of samples of one list, or sample i of `first` against sample i of `second`)."""
    out: dict[str, dict[str, dict[str, float | int]]] = {}
    for name in SIDES:
        index_pairs = matched(len(first))
        out[name] = {
            "jaccard": summary([jaccard(side(first[i], name), side(second[j], name)) for i, j in index_pairs]),
            "spearman": summary(
                [rank_correlation(first[i].ranked[name], second[j].ranked[name], neuron_counts) for i, j in index_pairs]
            ),
        }
    return out
