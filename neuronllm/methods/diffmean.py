"""DIFFMEAN: the forward-only contrast baseline, a difference of mean activations between tasks.

For neuron j, with n̂_j(p) its value at the answer position of proxy p (the `activation` kind, the
hook point of every method):

    score_j = mean_{p in this task} n̂_j(p)  -  mean_{t in other tasks} ( mean_{p in t} n̂_j(p) )

The other tasks' means are averaged with equal weight per task, so a task with more proxies does not
dominate the contrast. Good: the top K positive scores; bad: the top K negative ones (disjoint by
sign). It is the per-neuron coordinate of the difference-of-means direction (Marks & Tegmark 2023,
"mass-mean probing"; DiffMean in Wu et al. 2025, AxBench), docs/method.md §4.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from neuronllm.attribution.kinds import Attributions
from neuronllm.errors import UserError
from neuronllm.methods.ranking import Ranked, top_k


def contrast_scores(attributions: Attributions, others: Sequence[Attributions]) -> torch.Tensor:
    """[n_layers, d_ff] float64: this task's mean activation minus the mean of the other tasks' means."""
    if not others:
        raise UserError("diffmean contrasts tasks: it needs the activations of at least one other task")
    own = attributions.require("activation").double().mean(0)
    rest = torch.stack([other.require("activation").double().mean(0) for other in others]).mean(0)
    if rest.shape != own.shape:
        raise UserError(
            f"diffmean: the other tasks' activations have shape {list(rest.shape)}, this task's {list(own.shape)} "
            f"(another model?)"
        )
    return own - rest


def select(
    attributions: Attributions,
    budget: int,
    seed: int = 0,
    others: Sequence[Attributions] | None = None,
    **_: object,
) -> tuple[Ranked, Ranked]:
    scores = contrast_scores(attributions, others or [])
    return top_k(scores, budget, sign=1), top_k(scores, budget, sign=-1)
