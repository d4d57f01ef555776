"""CNI: contrastive neuron identification (docs/method.md §3, eq. 4-5).

    ES_e(w)  = Σ_{t=1..3} IG(w; proxy t of instance e)                         (eq. 4)
    G_e, B_e = the top-z positive and top-z negative neurons of ES_e
    ambiguous = neurons in some G_e and some B_e'   (dropped)
    ACE(w)   = Σ_e 1[w ∈ G_e ∪ B_e] · ES_e(w)                                  (eq. 5)
Good = top-K by ACE > 0, bad = top-K by ACE < 0, ranked over all layers together.
"""

from __future__ import annotations

import torch

from neuronllm.attribution.kinds import Attributions
from neuronllm.methods import CNI_TOP_Z
from neuronllm.methods.ranking import Ranked, instance_sums, top_k


def per_instance_sets(es: torch.Tensor, z: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Boolean masks [n_layers, d_ff] of the top-z positive (G_e) and top-z negative (B_e) neurons."""
    flat = es.flatten()
    z = min(z, flat.numel())
    good = torch.zeros_like(flat, dtype=torch.bool)
    bad = torch.zeros_like(flat, dtype=torch.bool)
    top = torch.topk(flat, z).indices
    good[top[flat[top] > 0]] = True
    bottom = torch.topk(-flat, z).indices
    bad[bottom[flat[bottom] < 0]] = True
    return good.view_as(es), bad.view_as(es)


def ace_scores(attributions: Attributions, z: int = CNI_TOP_Z) -> torch.Tensor:
    """ACE(w) [n_layers, d_ff], zero for ambiguous neurons and neurons never in any G_e or B_e."""
    es_by_instance = instance_sums(attributions.require("contrastive"), attributions.by_instance())
    shape = next(iter(es_by_instance.values())).shape
    ace = torch.zeros(shape, dtype=torch.float64)
    in_good = torch.zeros(shape, dtype=torch.bool)
    in_bad = torch.zeros(shape, dtype=torch.bool)
    for es in es_by_instance.values():
        good, bad = per_instance_sets(es, z)
        selected = good | bad
        ace += torch.where(selected, es.double(), torch.zeros_like(ace))
        in_good |= good
        in_bad |= bad
    ace[in_good & in_bad] = 0.0
    return ace


def select(
    attributions: Attributions, budget: int, seed: int = 0, z: int = CNI_TOP_Z, **_: object
) -> tuple[Ranked, Ranked]:
    ace = ace_scores(attributions, z)
    return top_k(ace, budget, sign=1), top_k(ace, budget, sign=-1)
