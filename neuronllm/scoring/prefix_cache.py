"""Prefix trees on disk: the unmodified keys/values of a chunk of prompts, shared between processes.

The scorer (engine.py) computes a chunk's prefix tree once per process; separate processes that
evaluate the same prompts (one `lm_eval` run per condition, or separate pipeline jobs) can share it
through a directory. A tree is a pure function of the model and the prompts, so its file is keyed by:
    the model's identity (LoadedModel.fingerprint: a content hash of the weights, the dtype, the device
    type, the revision and the loading arguments), SCORER_VERSION, and the chunk's prefixes (token ids).
An overwritten checkpoint, a bf16 run or a new release of the scorer therefore misses instead of
reading another run's numbers; a stored file whose content does not match its key is ignored. The
stored keys/values themselves are verified too: each file holds the sha256 of its tensors' bytes,
written with them, and a file whose tensors do not hash to it (edited, bit-flipped, half-copied) is a
miss, recomputed, never read into a score. A store that fails (a full disk) warns once and the run
goes on without the cache: it only saves time.
Only unmodified trees are stored (scope=answer: the prefix is the same for every condition).
Files are written atomically; a 1-GB chunk of a 135M model's keys/values loads in about a second.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from neuronllm.atomic import atomic_path
from neuronllm.digests import SCORER_VERSION
from neuronllm.errors import warn
from neuronllm.model.loading import LoadedModel

if TYPE_CHECKING:
    from neuronllm.scoring.prefix_tree import PrefixTree


def tensors_digest(tensors: Sequence[torch.Tensor]) -> str:
    """sha256 of the tensors' dtypes, shapes and bytes, in order (what a stored file must hash to)."""
    hasher = hashlib.sha256()
    for tensor in tensors:
        flat = tensor.detach().cpu().contiguous()
        hasher.update(f"{flat.dtype}{tuple(flat.shape)}".encode())
        hasher.update(flat.view(-1).view(torch.uint8).numpy().tobytes() if flat.numel() else b"")
    return hasher.hexdigest()


class PrefixCache:
    """chunk prefixes -> the keys/values of every segment of their prefix tree."""

    def __init__(self, loaded: LoadedModel, directory: str | Path):
        self.loaded = loaded
        self.directory = Path(directory)
        self.hits = self.misses = 0
        self._model_key: str | None = None
        self._store_failed = False

    @property
    def model_key(self) -> str:
        """The model's identity; computed on first use (hashing the weights reads them once)."""
        if self._model_key is None:
            self._model_key = f"{self.loaded.fingerprint}-v{SCORER_VERSION}"
        return self._model_key

    def path(self, prefixes: Sequence[Sequence[int]]) -> Path:
        hasher = hashlib.sha256(self.model_key.encode())
        for prefix in prefixes:
            hasher.update(b"\x1f" + ",".join(map(str, prefix)).encode())
        return self.directory / f"{hasher.hexdigest()[:32]}.pt"

    def load(self, prefixes: Sequence[Sequence[int]], tree: PrefixTree) -> bool:
        """Fill `tree` (built from `prefixes`, store allocated) with stored keys/values; False when there is
        no valid entry (a missing, truncated or foreign file is recomputed, never trusted)."""
        path = self.path(prefixes)
        if not path.is_file():
            self.misses += 1
            return False
        try:
            stored = torch.load(path, map_location="cpu", weights_only=True)
        except Exception:  # noqa: BLE001 - a torn or foreign file is a cache miss, recomputed
            self.misses += 1
            return False
        valid = (
            isinstance(stored, dict)
            and stored.get("model") == self.model_key
            and stored.get("segments") == [s.tokens for s in tree.segments]
            and len(stored.get("keys", [])) == len(tree.keys)
            and len(stored.get("values", [])) == len(tree.values)
            and all(k.shape == t.shape and k.dtype == t.dtype for k, t in zip(stored["keys"], tree.keys))
            and all(v.shape == t.shape and v.dtype == t.dtype for v, t in zip(stored["values"], tree.values))
            and stored.get("digest") == tensors_digest([*stored["keys"], *stored["values"]])
        )
        if not valid:
            self.misses += 1
            return False
        for target, source in ((tree.keys, stored["keys"]), (tree.values, stored["values"])):
            for layer, tensor in enumerate(source):
                target[layer].copy_(tensor)
        self.hits += 1
        return True

    def store(self, prefixes: Sequence[Sequence[int]], tree: PrefixTree) -> None:
        """Write the tree's keys/values with their digest; a failed write (a full disk, no permission)
        leaves no file and warns once: the run goes on without storing."""
        if self._store_failed:
            return
        path = self.path(prefixes)
        keys, values = [k.cpu() for k in tree.keys], [v.cpu() for v in tree.values]
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_path(path) as tmp:
                torch.save(
                    {
                        "model": self.model_key,
                        "segments": [s.tokens for s in tree.segments],
                        "keys": keys,
                        "values": values,
                        "digest": tensors_digest([*keys, *values]),
                    },
                    tmp,
                )
        except (OSError, RuntimeError) as err:  # torch.save reports ENOSPC as a RuntimeError
            self._store_failed = True
            reason = getattr(err, "strerror", None) or str(err).splitlines()[0][:80]
            warn(f"prefix cache {self.directory}: cannot store a prefix tree ({reason}); going on without storing")
