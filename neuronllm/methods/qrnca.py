"""QRNCA (Chen et al. 2024), adapted to proxy QAs (docs/method.md §4).

Per prompt: IG of P(gold); keep neurons with score > 0.2 · (prompt max). Per instance: sum the kept
scores; NA(w) = Σ_e score_e(w) / total_e (share of the instance's kept attribution);
ICA(w) = log(N / (occ(w) + 1)), occ = instances keeping w. Rank by NA · ICA after dropping "common"
neurons kept by > 30% of instances. The bad set (for the QRNCA-enabled ablation) applies the same
protocol to the negative side: thresholds on −IG.
"""

from __future__ import annotations

import torch

from neuronllm.attribution.kinds import Attributions
from neuronllm.methods.ranking import Ranked, top_k

PROMPT_THRESHOLD = 0.2
COMMON_SHARE = 0.3


def qrnca_scores(ig: torch.Tensor, groups: dict[str, list[int]]) -> torch.Tensor:
    """NA · ICA [n_layers, d_ff] for the positive side of `ig` [n_proxies, n_layers, d_ff]."""
    ig = ig.double()
    maxima = ig.flatten(1).max(dim=1).values
    kept = (ig > PROMPT_THRESHOLD * maxima[:, None, None]) & (ig > 0)
    na = torch.zeros(ig.shape[1:], dtype=torch.float64)
    occurrences = torch.zeros(ig.shape[1:], dtype=torch.float64)
    for indices in groups.values():
        instance = torch.where(kept[indices], ig[indices], torch.zeros_like(ig[indices])).sum(0)
        total = instance.sum()
        if total > 0:
            na += instance / total
        occurrences += (instance > 0).double()
    n = len(groups)
    ica = torch.log(n / (occurrences + 1))
    score = na * ica
    score[occurrences > COMMON_SHARE * n] = 0.0
    return score


def select(attributions: Attributions, budget: int, seed: int = 0, **_: object) -> tuple[Ranked, Ranked]:
    ig = attributions.require("gold_prob")
    groups = attributions.by_instance()
    good = top_k(qrnca_scores(ig, groups), budget, sign=1)
    bad_scores = qrnca_scores(-ig, groups)
    bad = [(l, i, -s) for l, i, s in top_k(bad_scores, budget, sign=1)]
    good_keys = {(l, i) for l, i, _ in good}
    return good, [b for b in bad if (b[0], b[1]) not in good_keys]
