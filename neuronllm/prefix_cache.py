"""KV caches of prompt prefixes, computed once and shared by every option, condition and method.

Interventions and attributions act at the answer position (the last prompt token) or later, and
attention is causal, so the keys/values of the prompt *prefix* (every token before the answer
position) do not depend on the condition: the unmodified model, each degrader and enhancer, and each
IG step all see the same prefix. Computing it once per prompt is exact, not an approximation.

With a `directory`, prefixes also persist on disk (one file per model and prefix, written atomically),
so separate jobs of the pipeline (one per method) share them too. Off by default: a 7B model's
prefix of 300 tokens is ~150 MB.
"""

from __future__ import annotations

import hashlib
import inspect
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import nn
from transformers import DynamicCache

from neuronllm.atomic import atomic_path

KeyValues = list[tuple[torch.Tensor, torch.Tensor]]  # per layer: ([1, kv_heads, P, d_head], same)


def cache_argument(model: nn.Module) -> str:
    """`cache` in transformers >= 5.2x, `past_key_values` before (still accepted, with a warning)."""
    parameters = inspect.signature(model.forward).parameters
    return "cache" if "cache" in parameters else "past_key_values"


def output_cache(output: object) -> object:
    cache = getattr(output, "cache", None)
    return cache if cache is not None else getattr(output, "past_key_values", None)


def expanded_cache(model: nn.Module, key_values: KeyValues, rows: int) -> DynamicCache:
    """A fresh DynamicCache of `rows` identical rows, as views: a forward appends to its cache in
    place, so every pass needs its own, and `expand` copies nothing."""
    return DynamicCache(
        ddp_cache_data=[(k.expand(rows, -1, -1, -1), v.expand(rows, -1, -1, -1)) for k, v in key_values],
        config=model.config,
    )


class PrefixCache:
    """prefix token ids -> per-layer keys and values, in memory (LRU) and optionally on disk."""

    def __init__(self, model: nn.Module, model_key: str, directory: str | Path | None = None, capacity: int = 64):
        self.model = model
        self.model_key = model_key
        self.directory = Path(directory) if directory else None
        self.capacity = capacity
        self._memory: OrderedDict[str, KeyValues] = OrderedDict()
        self.hits = self.misses = 0

    def _key(self, prefix_ids: Sequence[int]) -> str:
        payload = f"{self.model_key}\x1f{','.join(map(str, prefix_ids))}"
        return hashlib.sha256(payload.encode()).hexdigest()[:32]

    @torch.no_grad()
    def _compute(self, prefix_ids: Sequence[int]) -> KeyValues | None:
        device = next(self.model.parameters()).device
        ids = torch.tensor([list(prefix_ids)], device=device)
        try:
            output = self.model(input_ids=ids, use_cache=True, logits_to_keep=1)
        except TypeError:  # remote-code models without logits_to_keep
            output = self.model(input_ids=ids, use_cache=True)
        cache = output_cache(output)
        layers = getattr(cache, "layers", None)
        if not isinstance(cache, DynamicCache) or not layers or getattr(layers[0], "keys", None) is None:
            return None  # not a plain DynamicCache (legacy tuples, sliding windows...): callers run full rows
        if any(layer.keys.shape[-2] != len(prefix_ids) for layer in layers):
            return None  # a sliding window dropped part of the prefix
        return [(layer.keys.detach(), layer.values.detach()) for layer in layers]

    def get(self, prefix_ids: Sequence[int]) -> KeyValues | None:
        """The prefix's keys and values, or None when this model's cache cannot be reused this way."""
        if not prefix_ids:
            return None
        key = self._key(prefix_ids)
        if key in self._memory:
            self._memory.move_to_end(key)
            self.hits += 1
            return self._memory[key]
        path = self.directory / f"{key}.pt" if self.directory else None
        device = next(self.model.parameters()).device
        if path is not None and path.is_file():
            key_values = [(k.to(device), v.to(device)) for k, v in torch.load(path, map_location="cpu")]
            self.hits += 1
        else:
            key_values = self._compute(prefix_ids)
            self.misses += 1
            if key_values is None:
                return None
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                with atomic_path(path) as tmp:
                    torch.save([(k.cpu(), v.cpu()) for k, v in key_values], tmp)
        self._memory[key] = key_values
        while len(self._memory) > self.capacity:
            self._memory.popitem(last=False)
        return key_values
