"""What a model's numbers depend on, as a short digest: the key of every cache that stores scores.

Two runs may share a cached prefix key/value, a request-cache entry or an attribution only when they
would compute the same numbers, so the identity holds everything that determines them:
    weights   content hash of the checkpoint files (config included), or of the state dict for a model
              that exists only in memory
    revision  the hub commit of a snapshot, where one is known
    dtype, device type, the loading arguments (peft adapter, subfolder, ...)
Hashing a checkpoint reads every byte once; the result is memoised per file under the cache
directory, keyed by the file's size, mtime and inode, so an overwritten file is hashed again.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch import nn

WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".pth", ".gguf", ".h5", ".msgpack", ".model", ".py")
DESCRIBING_FILES = (
    "config.json",
    "generation_config.json",
    "tokenizer.json",
    "tokenizer_config.json",
    "special_tokens_map.json",
    "adapter_config.json",
    "vocab.json",
    "merges.txt",
)
_BLOB_NAME = re.compile(r"^[0-9a-f]{40}$|^[0-9a-f]{64}$")  # hub blobs are named by their sha1/sha256


def digest(obj: Any, length: int = 16) -> str:
    """sha256 of a JSON-serialisable object (sorted keys), shortened."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:length]


def cache_dir() -> Path:
    """Where converted models live: $NEURONLLM_CACHE, else $XDG_CACHE_HOME/neuronllm, else ~/.cache/neuronllm."""
    if os.environ.get("NEURONLLM_CACHE"):
        return Path(os.environ["NEURONLLM_CACHE"])
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "neuronllm"


def _memo_path() -> Path:
    return cache_dir() / "file_hashes.json"


def _read_memo() -> dict[str, Any]:
    try:
        return json.loads(_memo_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def file_hash(path: Path, memo: dict[str, Any] | None = None) -> str:
    """Content hash of one file. A hub snapshot's files are links to blobs named by their hash: the
    blob's name is used as is. Others are hashed, and memoised by (size, mtime, inode)."""
    resolved = path.resolve()
    if path.is_symlink() and resolved.parent.name == "blobs" and _BLOB_NAME.match(resolved.name):
        return resolved.name
    stat = resolved.stat()
    stamp = [stat.st_size, stat.st_mtime_ns, stat.st_ino]
    key = str(resolved)
    if memo is not None and memo.get(key, {}).get("stamp") == stamp:
        return memo[key]["sha256"]
    with open(resolved, "rb") as handle:
        value = hashlib.file_digest(handle, "sha256").hexdigest()
    if memo is not None:
        memo[key] = {"stamp": stamp, "sha256": value}
    return value


def directory_fingerprint(directory: str | Path) -> str:
    """Hash of every file in a checkpoint directory that determines the model's outputs."""
    from neuronllm.atomic import write_json

    directory = Path(directory)
    files = sorted(
        p for p in directory.iterdir() if p.is_file() and (p.suffix in WEIGHT_SUFFIXES or p.name in DESCRIBING_FILES)
    )
    memo = _read_memo()
    before = json.dumps(memo, sort_keys=True)
    hashes = {p.name: file_hash(p, memo) for p in files}
    if json.dumps(memo, sort_keys=True) != before:
        try:
            write_json(_memo_path(), memo)
        except OSError:
            pass  # a read-only cache only costs a re-hash next time
    return digest(hashes, 32)


def state_dict_fingerprint(model: nn.Module) -> str:
    """Hash of every parameter and buffer: for models that exist only in memory (or were changed there)."""
    import torch

    hasher = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        hasher.update(name.encode())
        hasher.update(str(tensor.dtype).encode())
        hasher.update(str(tuple(tensor.shape)).encode())
        data = tensor.detach().to("cpu").contiguous()
        if data.dtype == torch.bfloat16:  # numpy has no bfloat16: hash the raw 16-bit patterns
            data = data.view(torch.int16)
        hasher.update(data.numpy().tobytes())
    return hasher.hexdigest()[:32]


def snapshot_revision(directory: str | Path) -> str | None:
    """The commit of a hub snapshot directory (.../snapshots/<commit>/), else None."""
    path = Path(directory).resolve()
    if path.parent.name == "snapshots" and re.fullmatch(r"[0-9a-f]{40}", path.name):
        return path.name
    return None


def local_checkpoint(spec_path: str, revision: str | None = None, subfolder: str = "") -> Path | None:
    """The directory holding a checkpoint's files: a local directory, or the hub cache's snapshot of a
    hub id (found without network access). None when neither exists (nothing to hash yet)."""
    candidate = Path(spec_path).expanduser()
    if candidate.is_dir():
        return candidate / subfolder if subfolder else candidate
    try:
        from huggingface_hub import snapshot_download

        folder = snapshot_download(spec_path, revision=revision or None, local_files_only=True)
    except Exception:  # noqa: BLE001 - not cached, not a repo id, offline: nothing to hash
        return None
    path = Path(folder)
    return path / subfolder if subfolder else path


def load_arguments_identity(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """The loading arguments that change the numbers, with local adapter directories fingerprinted."""
    identity: dict[str, Any] = {}
    for key, value in sorted(arguments.items()):
        if key in ("peft", "delta") and value:
            directory = local_checkpoint(str(value))
            identity[key] = {"spec": str(value), "files": directory_fingerprint(directory) if directory else None}
        else:
            identity[key] = value if isinstance(value, (str, int, float, bool, type(None))) else str(value)
    return identity
