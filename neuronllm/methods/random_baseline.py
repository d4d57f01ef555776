"""RANDOM: K neurons drawn uniformly over all layers, reproducible from the seed. No bad neurons."""

from __future__ import annotations

import random

from neuronllm.attribution import Attributions
from neuronllm.data import stable_seed
from neuronllm.methods.ranking import Ranked


def select(attributions: Attributions | None, budget: int, seed: int = 0, neuron_counts: list[int] | None = None, **_: object) -> tuple[Ranked, Ranked]:
    counts = neuron_counts if neuron_counts is not None else attributions.neuron_counts
    total = sum(counts)
    rng = random.Random(stable_seed(seed, "random-neurons"))
    picks = rng.sample(range(total), budget)
    offsets = []
    start = 0
    for count in counts:
        offsets.append(start)
        start += count
    chosen = []
    for flat in picks:
        layer = max(l for l, off in enumerate(offsets) if off <= flat)
        chosen.append((layer, flat - offsets[layer], 0.0))
    return chosen, []
