"""Null neuron sets: what an intervention on neurons chosen without looking at the task does.

A method's effect is only evidence of task-relevant neurons when it exceeds what arbitrary neurons of
the same number do. Two nulls, each drawn for several seeds (`index`):
  uniform  K "good" and K "bad" neurons drawn uniformly over every (layer, index) (RANDOM's draw):
           the good part is the null of a baseline's K-neuron condition, both parts together the
           null of NeuronLLM's K-silenced + K-excited condition;
  matched  for each neuron of a target set, a random neuron of the same activation-magnitude decile
           (mean |activation| at the answer position over the identification prompts), same side:
           silencing 100 uniformly random neurons of a 46k-neuron model changes almost nothing, so
           a target set of strongly active neurons needs a null of strongly active ones.
"""

from __future__ import annotations

import random

import torch

from neuronllm import __version__
from neuronllm.errors import UserError
from neuronllm.methods.random_baseline import draw
from neuronllm.neurons import Neuron, NeuronSet
from neuronllm.tasks.adapters import stable_seed

DECILES = 10


def uniform_null(counts: list[int], budget: int, index: int, model: str) -> NeuronSet:
    if 2 * budget > sum(counts):
        raise UserError(
            f"a null set of {budget} good and {budget} bad neurons needs {2 * budget} of the model's {sum(counts)}"
        )
    good, bad = draw(counts, budget, ("null", index))
    provenance = {
        "model": model,
        "method": "null",
        "null": "uniform",
        "budget": budget,
        "index": index,
        "package_version": __version__,
    }
    return NeuronSet([Neuron(*n) for n in good], [Neuron(*n) for n in bad], list(counts), provenance)


def magnitude_bins(magnitude: torch.Tensor) -> torch.Tensor:
    """Decile of every neuron's |mean activation| over all layers: [n_layers, d_ff] in 0..DECILES-1."""
    flat = magnitude.flatten().double()
    ranks = torch.empty_like(flat, dtype=torch.long)
    ranks[torch.argsort(flat, stable=True)] = torch.arange(flat.numel())
    return (ranks * DECILES // flat.numel()).view_as(magnitude)


def _pool(members: dict[int, list[int]], decile: int, used: set[int]) -> list[int]:
    """Unused neurons of the decile; where a small model's decile is used up, the nearest one with any."""
    for distance in range(DECILES):
        for candidate in sorted({decile - distance, decile + distance}):
            pool = [f for f in members.get(candidate, []) if f not in used]
            if pool:
                return pool
    return []


def matched_null(target: NeuronSet, magnitude: torch.Tensor, index: int, model: str) -> NeuronSet:
    """For each target neuron, a random other neuron of its decile (no repeats, none of the target's)."""
    bins = magnitude_bins(magnitude)
    d_ff = bins.shape[1]
    members: dict[int, list[int]] = {}
    for flat, b in enumerate(bins.flatten().tolist()):
        members.setdefault(b, []).append(flat)
    used = {n.layer * d_ff + n.index for n in target.good + target.bad}
    rng = random.Random(stable_seed("matched-null", index, target.digest()))
    sides = []
    for neurons in (target.good, target.bad):
        side = []
        for n in neurons:
            pool = _pool(members, int(bins[n.layer, n.index]), used)
            if not pool:
                raise UserError(f"no neuron left to match ({n.layer}, {n.index}): the target set fills the model")
            pick = rng.choice(pool)
            used.add(pick)
            side.append(Neuron(pick // d_ff, pick % d_ff, 0.0))
        sides.append(side)
    provenance = {
        "model": model,
        "method": "null",
        "null": "matched",
        "matched_to": target.digest(),
        "matched_method": target.provenance.get("method"),
        "budget": target.provenance.get("budget"),
        "index": index,
        "package_version": __version__,
    }
    return NeuronSet(sides[0], sides[1], list(target.neuron_counts), provenance)
