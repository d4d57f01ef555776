"""The naive IG engine, the reference the cached engine is tested against.

For every layer l and every step k = 0..m: one forward over the full prompt followed by each
continuation, with the answer-position neurons of layer l replaced by α_k·n̂_l (α_k = k/m), and one
backward for k >= 1. Right Riemann sum:  IG(w) = (ŵ/m) · Σ_{k=1..m} ∂F(α_k·ŵ)/∂w   [eq. 1]
"""

from __future__ import annotations

import torch
from torch import nn

from neuronllm.attribution.ig.proxy import EngineResult, LayerIG, ProxyTokens, objective_from_scores
from neuronllm.attribution.ig.shared import answer_activations, pad_rows, progress, projection_device
from neuronllm.model import hooks
from neuronllm.model.loading import LoadedModel


def full_sequence_f(loaded: LoadedModel, proxy: ProxyTokens, objective: str) -> torch.Tensor:
    """F (scalar float32) from one forward over the full prompt followed by each continuation.

    Row r = prompt + a[:-1] for each distinct a[:-1] (all single-token alternatives share the bare
    prompt), right-padded and masked; log p(a_j | prompt, a_<j) is read at position T-1+j of a's row.
    Hooks installed by the caller act during this forward.
    """
    alternatives = proxy.alternatives()
    answer = proxy.answer_position
    inputs = sorted({tuple(tokens[:-1]) for _, tokens in alternatives})
    ids, mask = pad_rows([proxy.prompt_ids + list(row) for row in inputs])
    device = loaded.device
    logits = loaded.model(input_ids=ids.to(device), attention_mask=mask.to(device), use_cache=False).logits
    logprobs = torch.log_softmax(logits[:, answer:].float(), dim=-1)  # [rows, max len, vocab], from T-1 on
    alt_scores = []
    for _, tokens in alternatives:
        row = inputs.index(tuple(tokens[:-1]))
        positions = torch.arange(len(tokens), device=logprobs.device)  # T-1+j in the full sequence
        targets = torch.tensor(tokens, device=logprobs.device)
        alt_scores.append(logprobs[row, positions, targets].sum())
    option_scores = torch.stack(
        [
            torch.logsumexp(torch.stack([s for (o, _), s in zip(alternatives, alt_scores) if o == option]), dim=0)
            for option in range(len(proxy.options))
        ]
    )
    return objective_from_scores(option_scores, proxy.gold, objective)


def naive_ig(
    loaded: LoadedModel, proxy: ProxyTokens, objective: str, steps: int, layers: list[int], d_ff: int, show: bool
) -> EngineResult:
    """IG of one objective for `layers` (an EngineResult with that objective alone): every (layer, k) a full
    forward, a backward for k >= 1."""
    answer = proxy.answer_position
    n_hat = answer_activations(loaded, proxy.prompt_ids)[layers]  # [len(layers), d_ff]
    attributions = torch.zeros(len(layers), d_ff)
    endpoint = torch.zeros(len(layers), d_ff)
    f_full = torch.zeros(len(layers))
    f_zero = torch.zeros(len(layers))
    bar = progress(show, total=len(layers) * (steps + 1), desc="IG naive")
    for i, layer in enumerate(layers):
        device = projection_device(loaded.projections[layer], loaded.device)
        gradient_sum = torch.zeros(d_ff, device=device)
        for k in range(steps + 1):
            w = ((k / steps) * n_hat[i]).to(device).requires_grad_(k > 0)  # leaf [d_ff]: the path point k·ŵ/m

            def replace(module: nn.Module, args: tuple, w: torch.Tensor = w) -> tuple:
                hidden = args[0].clone()  # [rows, pos, d_ff]
                hidden[:, answer, :] = w.to(hidden.dtype)
                return (hidden, *args[1:])

            with hooks.attach(loaded, {hooks.neurons(layer): replace}), torch.set_grad_enabled(k > 0):
                f = full_sequence_f(loaded, proxy, objective)
            if k > 0:
                f.backward()
                assert w.grad is not None  # w requires grad and f depends on it
                gradient_sum += w.grad
            if k == 0:
                f_zero[i] = f.detach().cpu()
            if k == steps:
                f_full[i] = f.detach().cpu()
                endpoint[i] = w.grad.float().cpu() if w.grad is not None else torch.zeros_like(w, dtype=torch.float32)
            bar.update(1)
        attributions[i] = n_hat[i] * gradient_sum.float().cpu() / steps
    bar.close()
    return EngineResult({objective: LayerIG(attributions, f_full, f_zero, endpoint)}, n_hat)
