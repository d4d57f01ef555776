"""The prefix-cached IG engine: the same numbers as the naive engine (ig/naive.py), a fraction of the work.

Attention is causal and the patch and every scored token sit at or after T-1, so the prompt prefix
[0, T-1) is the same for every (layer, step). It runs ONCE into a KV cache (neuronllm/scoring/prefix_kv.py). Each
(layer, step) group then only needs the continuation trie: the last prompt token plus the option
tokens, shared beginnings once (letter options: the single answer token). Many groups are packed end
to end into one sequence of batch 1 on top of the cache (layouts.PackedLayout): a 4D attention mask
lets every token see the prefix and its own ancestors only, and position_ids give it the position it
would have after the prompt, so each group computes exactly what the naive row computes.

Per chunk of `layer_batch` layers, each layer has one leaf [m+1, d_ff] (row k = α_k·n̂_l) whose row k
replaces the answer-position input of that layer in group (layer, k) only; F is summed over the
chunk's groups and back-propagated once per pass of at most `pass_tokens` tokens. Models the packed
pass cannot serve exactly get the same batching with full prompt rows (layouts.FullRowLayout).

Layers below a chunk's lowest layer l compute the same thing in every group, so they run once: one
no-grad forward of a single group records the hidden state entering decoder layer l (hook point
blocks.{l}.hook_resid_pre), and each pass then runs the decoder stack from l on (the model's own
forward, its layer list temporarily sliced, that hidden state as inputs_embeds). Whether a model's
forward re-enters exactly this way (GPT-2 adds position embeddings to inputs_embeds, Gemma scales
them) is checked at run time on that single group against the full forward; where it is not exact,
every layer is run. Several objectives share each forward: one backward per objective.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext

import torch
from torch import nn

from neuronllm.attribution.ig.layouts import DecoderStack, FullRowLayout, PackedLayout, exact_entries
from neuronllm.attribution.ig.proxy import EngineResult, LayerIG, ProxyTokens, objective_from_scores
from neuronllm.attribution.ig.shared import answer_activations, progress, projection_device
from neuronllm.model import hooks
from neuronllm.model.loading import LoadedModel
from neuronllm.scoring.prefix_kv import prefix_key_values

PASS_TOKENS = 512  # tokens per batched pass (memory, and the packed mask's N² attention)


def _unmodified_pass(
    loaded: LoadedModel, layout: PackedLayout | FullRowLayout, layers: list[int], starts: list[int], stack: DecoderStack
) -> tuple[torch.Tensor, dict[int, torch.Tensor]]:
    """One group, unmodified: n̂ (the answer-position neurons, column 0) and the exact entries."""
    captured: dict[int, torch.Tensor] = {}

    def capture(layer: int) -> Callable[[nn.Module, tuple], None]:
        def hook(module: nn.Module, args: tuple) -> None:
            captured[layer] = args[0][0, 0].detach().float().cpu()

        return hook

    with torch.no_grad(), hooks.attach(loaded, {hooks.neurons(j): capture(j) for j in layers}):
        recording: AbstractContextManager[dict[int, torch.Tensor]] = (
            stack.entries(starts) if starts else nullcontext({})
        )
        with recording as recorded:
            reference = layout.logits(loaded.model)
    n_hat = torch.stack([captured[j] for j in layers])  # [len(layers), d_ff]
    if not starts:
        return n_hat, {}
    assert isinstance(layout, PackedLayout), "entry points exist only where the prefix is reused (packed rows)"
    entries = exact_entries(loaded.model, stack, layout, dict(recorded), reference)
    return n_hat, entries


def cached_ig(
    loaded: LoadedModel,
    proxy: ProxyTokens,
    objectives: Sequence[str],
    steps: int,
    layers: list[int],
    d_ff: int,
    layer_batch: int,
    pass_tokens: int,
    show: bool,
) -> EngineResult:
    """Each objective's LayerIG and n̂ (module docstring).

    Groups of a chunk are g = slot·(m+1) + k (slot: layer in the chunk, k = 0..m, α_k = k/m); k = 0
    gives f_zero and stays out of the backward, k = m gives f_full.
    """
    device = loaded.device
    trie = proxy.continuations()
    key_values = prefix_key_values(loaded.model, proxy.prompt_ids[:-1], max(trie.depths()) + 1)
    chunks = [layers[start : start + layer_batch] for start in range(0, len(layers), layer_batch)]
    entries: dict[int, torch.Tensor] = {}  # hidden state entering decoder layer l, for chunks starting at l
    stack = DecoderStack(loaded)
    make_layout: Callable[[int], PackedLayout | FullRowLayout]
    if key_values is not None:

        def make_layout(groups: int) -> PackedLayout | FullRowLayout:
            return PackedLayout(trie, groups, key_values, loaded.dtype, device)

        starts = sorted({min(chunk) for chunk in chunks} - {0}) if stack.parent is not None else []
        n_hat, entries = _unmodified_pass(loaded, make_layout(1), layers, starts, stack)
    else:

        def make_layout(groups: int) -> PackedLayout | FullRowLayout:
            return FullRowLayout(trie, groups, proxy, device)

        n_hat = answer_activations(loaded, proxy.prompt_ids)[layers]
    groups_per_pass = max(1, pass_tokens // make_layout(1).input_ids.numel())

    alphas = torch.arange(steps + 1, dtype=torch.float32) / steps  # [m+1]: α_k = k/m
    out = {
        o: LayerIG(
            attributions=torch.zeros(len(layers), d_ff),
            f_full=torch.zeros(len(layers)),
            f_zero=torch.zeros(len(layers)),
            endpoint_gradient=torch.zeros(len(layers), d_ff),
        )
        for o in objectives
    }
    layouts: dict[int, PackedLayout | FullRowLayout] = {}
    bar = progress(show, total=len(layers), desc="IG cached" if key_values is not None else "IG full rows")
    done = 0
    for chunk in chunks:
        leaves = [
            (alphas[:, None] * n_hat[done + slot][None, :])
            .to(projection_device(loaded.projections[layer], device))
            .requires_grad_(True)
            for slot, layer in enumerate(chunk)
        ]
        gradients = {o: [torch.zeros_like(leaf) for leaf in leaves] for o in objectives}
        f = {o: torch.zeros(len(chunk) * (steps + 1)) for o in objectives}  # F of every group of the chunk
        entry = entries.get(min(chunk))
        for first in range(0, len(chunk) * (steps + 1), groups_per_pass):
            last = min(first + groups_per_pass, len(chunk) * (steps + 1))
            if (last - first) not in layouts:
                layouts[last - first] = make_layout(last - first)
            layout = layouts[last - first]
            replacements, used = [], []
            for slot, layer in enumerate(chunk):
                low, high = max(first, slot * (steps + 1)), min(last, (slot + 1) * (steps + 1))
                if low >= high:
                    continue  # this layer has no group in this pass
                pass_groups = torch.arange(low, high)
                batch_index, position_index = layout.answer_index(pass_groups - first)
                values = leaves[slot][pass_groups - slot * (steps + 1)]  # rows α_k·n̂ of these groups' k
                values = values.repeat_interleave(layout.answers_per_group, dim=0)
                index = (batch_index.to(values.device), position_index.to(values.device))

                def replace(
                    module: nn.Module, args: tuple, index: tuple = index, values: torch.Tensor = values
                ) -> tuple:
                    hidden = args[0]  # [batch, pos, d_ff]
                    return (hidden.index_put(index, values.to(hidden.dtype)), *args[1:])

                replacements.append((hooks.neurons(layer), replace))
                used.append(slot)
            skip = stack.starting_at(min(chunk)) if entry is not None else nullcontext()
            with skip, hooks.attach(loaded, replacements), torch.enable_grad():
                if entry is not None:
                    assert isinstance(layout, PackedLayout), "entry points exist only for packed rows"
                    logits = layout.logits(loaded.model, entry)
                else:
                    logits = layout.logits(loaded.model)
                option_scores = trie.option_scores(logits, layout.term_columns)  # [groups, n_options]
                on_path = ((torch.arange(first, last) % (steps + 1)) != 0).to(option_scores.device)  # k >= 1
                for i, objective in enumerate(objectives):
                    f_pass = objective_from_scores(option_scores, proxy.gold, objective)  # [groups]
                    if on_path.any():
                        grads = torch.autograd.grad(
                            f_pass[on_path].sum(), [leaves[slot] for slot in used], retain_graph=i + 1 < len(objectives)
                        )
                        for slot, grad in zip(used, grads):
                            gradients[objective][slot] += grad
                    f[objective][first:last] = f_pass.detach().cpu()
        for objective in objectives:
            attributions, f_full, f_zero, endpoint = (
                out[objective].attributions,
                out[objective].f_full,
                out[objective].f_zero,
                out[objective].endpoint_gradient,
            )
            by_step = f[objective].view(len(chunk), steps + 1)
            for slot in range(len(chunk)):
                gradient_sum = gradients[objective][slot][1:].sum(dim=0).float().cpu()  # Σ_{k=1..m} ∂F/∂w at α_k·n̂
                attributions[done + slot] = n_hat[done + slot] * gradient_sum / steps
                endpoint[done + slot] = gradients[objective][slot][steps].float().cpu()  # ∂F/∂w at w = n̂
                f_zero[done + slot] = by_step[slot, 0]
                f_full[done + slot] = by_step[slot, steps]
        done += len(chunk)
        bar.update(len(chunk))
    bar.close()
    return EngineResult(out, n_hat)
