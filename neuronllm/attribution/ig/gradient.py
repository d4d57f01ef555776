"""TN's score: activation × gradient at the answer position, every layer, from one forward and backward."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from neuronllm.attribution.ig.naive import full_sequence_f
from neuronllm.attribution.ig.proxy import OBJECTIVES, ProxyTokens
from neuronllm.attribution.ig.shared import frozen
from neuronllm.errors import UserError
from neuronllm.model import hooks
from neuronllm.model.loading import LoadedModel


def activation_times_gradient(
    model: nn.Module | LoadedModel, proxy: ProxyTokens, objective: str = "gold_logprob"
) -> torch.Tensor:
    """a · dF/da at the answer position for every layer (signed). [n_layers, d_ff] float32 cpu.

    A zero offset δ_l (requires grad) is added to every layer's answer-position neurons, so that
    ∂F/∂δ_l = dF/da_l is the total derivative, through the layers above as well (replacing a_l by a
    detached leaf in every layer at once would cut those paths). The answer-position activation is
    the same in every continuation row (same prompt, causal attention), so its gradient is the sum
    over rows. TN's loss is −F: |a·∂loss/∂a| = |this|.
    """
    if objective not in OBJECTIVES:
        raise UserError(f"unknown IG objective {objective!r}: expected one of {', '.join(OBJECTIVES)}")
    loaded = LoadedModel.wrap(model)
    answer = proxy.answer_position
    activations: list[torch.Tensor | None] = [None] * len(loaded.projections)
    offsets = [torch.zeros(d_ff, requires_grad=True) for d_ff in loaded.neuron_counts]

    def add_offset(layer: int) -> Callable[[nn.Module, tuple], tuple]:
        def hook(module: nn.Module, args: tuple) -> tuple:
            hidden = args[0]  # [rows, pos, d_ff]
            activations[layer] = hidden[0, answer].detach().float().cpu()
            rows = torch.arange(hidden.shape[0], device=hidden.device)
            delta = offsets[layer].to(device=hidden.device, dtype=hidden.dtype).expand(hidden.shape[0], -1)
            return (hidden.index_put((rows, torch.full_like(rows, answer)), delta, accumulate=True), *args[1:])

        return hook

    added = {hooks.neurons(i): add_offset(i) for i in range(len(offsets))}
    with frozen(loaded.model), hooks.attach(loaded, added), torch.enable_grad():
        full_sequence_f(loaded, proxy, objective).backward()
    return torch.stack([a * offset.grad for a, offset in zip(activations, offsets)])  # type: ignore[operator]  # each offset requires grad: backward() set it
