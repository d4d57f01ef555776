"""Task-specific neurons (Leng & Xiong 2024), adapted to proxy QAs (docs/method.md, "Baselines").

Importance = mean over prompts of |a · ∂ log P(gold)/∂a| at the answer position (one forward and
backward per prompt): the good set is the top K by importance, as TN ranks. TN has no notion of a
harmful neuron; the "TN-enabled" ablation's bad set is the top K of the most negative SIGNED mean
a · ∂ log P(gold)/∂a (neurons whose activation pulls the gold answer down), excluding the good set.
"""

from __future__ import annotations

import torch

from neuronllm.attribution.kinds import Attributions
from neuronllm.methods.ranking import Ranked, top_k


def select(attributions: Attributions, budget: int, seed: int = 0, **_: object) -> tuple[Ranked, Ranked]:
    scores = attributions.require("grad_x_act").double()
    importance = scores.abs().mean(0)
    good = top_k(importance, budget, sign=1)
    keep = importance.new_ones(importance.shape, dtype=torch.bool)
    for layer, index, _score in good:
        keep[layer, index] = False
    bad = top_k(scores.mean(0), budget, sign=-1, keep=keep)
    return good, bad
