"""Prompt-prefix keys/values shared by every option, condition and method, in memory and optionally on disk.

A prefix's keys/values do not depend on the condition (prefix_kv.py), so computing them once per
prompt is exact. With a `directory`, prefixes persist on disk (one file per model identity and
prefix, written atomically), so separate jobs of the pipeline share them too.

The key is the model's identity (LoadedModel.fingerprint: a content hash of the weights, the dtype,
the device type, the revision, the loading arguments) plus SCORER_VERSION and the token ids, so an
overwritten checkpoint, a bf16 run or a new release of the scorer never reads another run's entries.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import torch

from neuronllm.atomic import atomic_path
from neuronllm.models import LoadedModel
from neuronllm.prefix_kv import SCORER_VERSION, KeyValues, prefix_key_values


class PrefixCache:
    """prefix token ids -> per-layer keys and values, in memory (LRU) and optionally on disk."""

    def __init__(self, loaded: LoadedModel, directory: str | Path | None = None, capacity: int = 64):
        self.loaded = loaded
        self.directory = Path(directory) if directory else None
        self.capacity = capacity
        self._memory: OrderedDict[str, KeyValues] = OrderedDict()
        self.hits = self.misses = 0
        self._model_key: str | None = None

    @property
    def model_key(self) -> str:
        """The model's identity; computed on first use (hashing the weights reads them once)."""
        if self._model_key is None:
            self._model_key = f"{self.loaded.fingerprint}-v{SCORER_VERSION}"
        return self._model_key

    def key(self, prefix_ids: Sequence[int], suffix_length: int) -> str:
        payload = f"{self.model_key}\x1f{suffix_length}\x1f{','.join(map(str, prefix_ids))}"
        return hashlib.sha256(payload.encode()).hexdigest()[:32]

    def _read(self, path: Path) -> KeyValues | None:
        """A stored entry, or None when it is unreadable or not what this model would compute."""
        try:
            stored = torch.load(path, map_location="cpu", weights_only=True)
        except Exception:  # noqa: BLE001 - a truncated or foreign file is recomputed, not trusted
            return None
        if not isinstance(stored, dict) or stored.get("model") != self.model_key:
            return None
        dtype, device = self.loaded.dtype, self.loaded.device
        key_values = stored["key_values"]
        if any(k.dtype != dtype or v.dtype != dtype for k, v in key_values):
            return None
        return [(k.to(device), v.to(device)) for k, v in key_values]

    def get(self, prefix_ids: Sequence[int], suffix_length: int = 1) -> KeyValues | None:
        """The prefix's keys and values, or None when this model's cache cannot be reused exactly."""
        if not prefix_ids:
            return None
        key = self.key(prefix_ids, suffix_length)
        if key in self._memory:
            self._memory.move_to_end(key)
            self.hits += 1
            return self._memory[key]
        path = self.directory / f"{key}.pt" if self.directory else None
        key_values = self._read(path) if path is not None and path.is_file() else None
        if key_values is not None:
            self.hits += 1
        else:
            key_values = prefix_key_values(self.loaded.model, prefix_ids, suffix_length)
            self.misses += 1
            if key_values is None:
                return None
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                with atomic_path(path) as tmp:
                    torch.save({"model": self.model_key, "key_values": [(k.cpu(), v.cpu()) for k, v in key_values]}, tmp)
        self._memory[key] = key_values
        while len(self._memory) > self.capacity:
            self._memory.popitem(last=False)
        return key_values
