"""RANDOM: K neurons drawn uniformly over all layers, reproducible from the seed.

The good set is the first K draws; a bad set of K more (disjoint) follows from the same generator, so
Table 1's RANDOM (good set only) is unchanged by it and the null sets (neuronllm/analysis/null.py) reuse this draw.
"""

from __future__ import annotations

import bisect
import random
from itertools import accumulate

from neuronllm.attribution.kinds import Attributions
from neuronllm.methods.ranking import Ranked
from neuronllm.tasks.adapters import stable_seed


def draw(counts: list[int], budget: int, seed_parts: tuple) -> tuple[Ranked, Ranked]:
    """K good then K bad neurons, uniformly over every (layer, index), without repeats."""
    total = sum(counts)
    rng = random.Random(stable_seed(*seed_parts))
    picks = rng.sample(range(total), budget)
    taken = set(picks)
    bad_budget = min(budget, total - budget)
    rest = rng.sample([i for i in range(total) if i not in taken], bad_budget) if bad_budget > 0 else []
    offsets = [0, *accumulate(counts)][:-1]

    def neuron(flat: int) -> tuple[int, int, float]:
        layer = bisect.bisect_right(offsets, flat) - 1
        return layer, flat - offsets[layer], 0.0

    return [neuron(f) for f in picks], [neuron(f) for f in rest]


def select(
    attributions: Attributions | None, budget: int, seed: int = 0, neuron_counts: list[int] | None = None, **_: object
) -> tuple[Ranked, Ranked]:
    if neuron_counts is None:
        assert attributions is not None, "random needs the model's neuron counts or attributions that carry them"
        neuron_counts = attributions.neuron_counts
    counts = neuron_counts
    return draw(counts, budget, (seed, "random-neurons"))
