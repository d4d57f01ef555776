"""Knowledge neurons (Dai et al. 2022), adapted to proxy QAs (docs/method.md §4).

Per prompt: IG of P(gold) over the whole vocabulary; keep neurons with score >= 0.2 · (prompt max).
Per instance: keep neurons kept in >= 70% of its prompts. Rank by the number of instances keeping a
neuron, then by its summed score. KN has no bad neurons.
"""

from __future__ import annotations

import math

import torch

from neuronllm.attribution.kinds import Attributions
from neuronllm.methods.ranking import Ranked

PROMPT_THRESHOLD = 0.2
INSTANCE_SHARE = 0.7


def select(attributions: Attributions, budget: int, seed: int = 0, **_: object) -> tuple[Ranked, Ranked]:
    ig = attributions.require("gold_prob").double()
    maxima = ig.flatten(1).max(dim=1).values.clamp_min(0)  # [n_proxies]
    kept = (ig >= PROMPT_THRESHOLD * maxima[:, None, None]) & (ig > 0)
    count = torch.zeros(ig.shape[1:], dtype=torch.long)
    summed = torch.zeros(ig.shape[1:], dtype=torch.float64)
    for indices in attributions.by_instance().values():
        needed = math.ceil(INSTANCE_SHARE * len(indices) - 1e-9)
        instance_keep = kept[indices].sum(0) >= needed
        count += instance_keep.long()
        summed += torch.where(instance_keep, ig[indices].sum(0), torch.zeros_like(summed))
    flat_count, flat_sum = count.flatten(), summed.flatten()
    candidates = torch.nonzero(flat_count > 0).flatten().tolist()
    candidates.sort(key=lambda i: (-int(flat_count[i]), -float(flat_sum[i]), i))
    d_ff = ig.shape[2]
    return [(i // d_ff, i % d_ff, float(flat_sum[i])) for i in candidates[:budget]], []
