"""Keys and values of a prompt prefix, computed once and reused: the one builder with one exactness rule.

Interventions and attributions act at the answer position (the last prompt token) or later, and
attention is causal, so the keys/values of the prompt *prefix* (every token before the answer
position) are the same for every condition, every option and every IG step. Integrated gradients
(ig/cached.py) and evaluation (engine.py, prefix_cache.py) both run the prefix once with this
function and then attend to its keys/values through a custom 4D mask and explicit position ids.

Exactness rule: reuse is allowed only where it reproduces the full forward, i.e. attention is eager
or sdpa (a custom 4D mask is honoured), the cache is a transformers DynamicCache of plain 4D tensors
covering every prefix token of every layer, and no sliding window is shorter than prefix + suffix.
Anything else returns None and callers run full rows (slower, same numbers).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

if TYPE_CHECKING:
    from transformers import DynamicCache

KeyValues = list[tuple[torch.Tensor, torch.Tensor]]  # per layer: ([1, kv_heads, P, d_head], same)


def output_cache(output: object) -> object:
    cache = getattr(output, "cache", None)
    return cache if cache is not None else getattr(output, "past_key_values", None)


def last_logits_only(model: nn.Module) -> dict:
    """`logits_to_keep=1` where the model's forward takes it: skips the vocabulary projection of
    positions whose logits are never read (a 300-token prompt's 300 × vocab matmul)."""
    return {"logits_to_keep": 1} if "logits_to_keep" in inspect.signature(model.forward).parameters else {}


def logits_at(model: nn.Module, positions: torch.Tensor, **forward: Any) -> torch.Tensor:
    """The model's logits at `positions` only: [B, K, vocab] for positions [K] (the same for every row) or
    [B, K] (per row). The vocabulary projection of a position whose logits are never read is skipped
    (`logits_to_keep` where the forward takes it; else the full logits, then selected): with a 152k-token
    untied head that projection costs as much as nine of a 0.5B model's decoder layers per position."""
    if "logits_to_keep" in inspect.signature(model.forward).parameters:
        return model(**forward, logits_to_keep=positions).logits
    logits = model(**forward).logits
    if positions.dim() == 1:
        return logits[:, positions]
    return logits.gather(1, positions[..., None].expand(-1, -1, logits.shape[-1]))


def reusable_attention(model: nn.Module) -> bool:
    """Custom 4D masks are honoured by eager and sdpa attention only."""
    return getattr(model.config, "_attn_implementation", "eager") in ("eager", "sdpa")


def prefix_key_values(model: nn.Module, prefix_ids: Sequence[int], suffix_length: int = 1) -> KeyValues | None:
    """Keys and values of `prefix_ids`, per layer [1, kv_heads, P, head_dim], from one no-grad forward;
    None where reusing them would not be exact (module docstring). `suffix_length`: how many tokens
    will attend to the prefix after it (answer position + option tokens)."""
    from transformers import DynamicCache

    if not prefix_ids or not reusable_attention(model):
        return None
    device = model.get_input_embeddings().weight.device  # type: ignore[operator]  # nn.Module's __getattr__ types a Hugging Face model's methods and attributes as Tensor | Module
    ids = torch.tensor([list(prefix_ids)], dtype=torch.long, device=device)
    with torch.no_grad():
        cache = output_cache(model(input_ids=ids, use_cache=True, **last_logits_only(model)))
    if not isinstance(cache, DynamicCache):
        return None
    key_values = []
    for layer in cache.layers:
        keys, values = getattr(layer, "keys", None), getattr(layer, "values", None)
        if not (isinstance(keys, torch.Tensor) and isinstance(values, torch.Tensor)) or keys.dim() != 4:
            return None
        if keys.shape[0] != 1 or keys.shape[-2] != len(prefix_ids) or values.shape[-2] != len(prefix_ids):
            return None
        window = getattr(layer, "sliding_window", None) if getattr(layer, "is_sliding", False) else None
        if window is not None and len(prefix_ids) + suffix_length > int(window):
            return None  # the custom mask is full causal attention
        key_values.append((keys.detach(), values.detach()))
    return key_values or None


def fresh_cache(model: nn.Module, key_values: KeyValues, rows: int = 1) -> DynamicCache:
    """A new DynamicCache over `key_values` (expanded to `rows` identical rows, as views): a forward
    appends to its cache in place, so every pass needs its own, and `expand` copies nothing."""
    from transformers import DynamicCache

    data = (
        key_values if rows == 1 else [(k.expand(rows, -1, -1, -1), v.expand(rows, -1, -1, -1)) for k, v in key_values]
    )
    return DynamicCache(ddp_cache_data=list(data), config=model.config)  # type: ignore[arg-type]  # nn.Module's __getattr__ types a Hugging Face model's methods and attributes as Tensor | Module
