"""Task-specific neurons (Leng & Xiong 2024), adapted to proxy QAs (METHOD.md §4).

Score = mean over prompts of a · ∂ log P(gold)/∂a at the answer position (one forward and backward per
prompt). TN ranks by importance; we keep the sign so the same scorer serves Table 1 (good = top-K
positive) and the "TN-enabled" ablation (bad = top-K negative).
"""

from __future__ import annotations

from neuronllm.attribution import Attributions
from neuronllm.methods.ranking import Ranked, top_k


def select(attributions: Attributions, budget: int, seed: int = 0, **_: object) -> tuple[Ranked, Ranked]:
    mean = attributions.require("grad_x_act").double().mean(0)
    return top_k(mean, budget, sign=1), top_k(mean, budget, sign=-1)
