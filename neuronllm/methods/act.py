"""ACT: the neurons with the largest mean activation at the answer position. No bad neurons."""

from __future__ import annotations

from neuronllm.attribution.kinds import Attributions
from neuronllm.methods.ranking import Ranked, top_k


def select(attributions: Attributions, budget: int, seed: int = 0, **_: object) -> tuple[Ranked, Ranked]:
    return top_k(attributions.require("activation").double().mean(0), budget, sign=1), []
