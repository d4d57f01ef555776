"""Content identity: what a number was computed from, as short digests of the inputs' *content*.

Two outputs are paired (metrics: an original and its conditions and null sets) or reused (attributions
read by `identify`, prefix trees, lm-eval's request cache) only when these agree, never because two
names agree (a path string, a `data_source` label, four model fields). One mechanism, used everywhere:

    data       the bytes of every data file read (or the hub dataset's own fingerprint), per split
    task_spec  the task's lm-eval config after `include:` resolution, plus the bytes of its Jinja templates
    model      LoadedModel.fingerprint: weights' content hash, dtype, device type, revision, every loading argument
    settings   the settings that determine the numbers (seed, sizes, answer format, ...)
    code       the package version and the scorer version (the part of the code that changes numbers), and
               the library versions (torch, transformers, lm-eval) recorded beside them, compared by nothing:
               their kernels could move a score in the last bits, so a reader can tell two runs apart

`provenance_digests` is the block every output records under "digests".
"""

from __future__ import annotations

import hashlib
import json
import platform
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from neuronllm.errors import UserError

# What a change of the code's numbers is keyed by (the scorer's version keys the prefix cache already).
# The scorer's version (neuronllm/scoring/, the prefix cache and IG's prefix reuse): bump when what a cached
# prefix or score means changes; it is part of every cache key and of every output's code identity.
SCORER_VERSION = 2


def object_digest(obj: Any, length: int = 16) -> str:
    """sha256 of a JSON-serialisable object (sorted keys), shortened."""
    return hashlib.sha256(json.dumps(obj, sort_keys=True, default=str).encode()).hexdigest()[:length]


def regular_file(path: str | Path, what: str = "input") -> Path:
    """`path` if it is a regular file (or a link to one); a FIFO, a device or a socket is refused in one
    line instead of being read (a read from /dev/zero or a FIFO never ends)."""
    path = Path(path)
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise UserError(f"{what} file not found: {path}") from None
    except OSError as err:
        raise UserError(f"{what} {path} cannot be read ({err.strerror or type(err).__name__})") from None
    if stat.S_ISDIR(mode):
        raise UserError(f"{path}: a directory, not a {what} file")
    if not stat.S_ISREG(mode):
        raise UserError(f"{path}: not a regular file (a FIFO, device or socket): refusing to read it as a {what} file")
    return path


def file_digest(path: str | Path) -> str:
    """sha256 of a file's bytes (shortened)."""
    with open(regular_file(path, "data"), "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()[:32]


def files_digest(paths: Iterable[str | Path]) -> str:
    """Digest of several files' contents, in the order given (names do not count: a copy elsewhere is
    the same data, an edited file in the same place is not)."""
    return object_digest([file_digest(p) for p in paths], 32)


def data_digest(splits: Mapping[str, str]) -> str:
    """Digest of a task's data: {role: digest of the split's content}."""
    return object_digest(dict(splits), 32)


def task_spec_digest(resolved_config: Mapping[str, Any], templates: Iterable[str | Path]) -> str:
    """The task's lm-eval config after `include:` resolution (functions by name) and its templates' bytes."""
    return object_digest(
        {"config": resolved_config, "templates": {Path(t).name: file_digest(t) for t in sorted(map(str, templates))}},
        32,
    )


# The libraries whose kernels compute the numbers: their versions are recorded in every output, not keyed.
RECORDED_LIBRARIES = ("torch", "transformers", "lm_eval")


def library_versions() -> dict[str, str | None]:
    """The installed versions of RECORDED_LIBRARIES (None: not installed) and the machine's architecture."""
    from importlib.metadata import PackageNotFoundError, version

    versions: dict[str, str | None] = {}
    for name in RECORDED_LIBRARIES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions | {"machine": platform.machine()}


def code_identity() -> dict[str, Any]:
    """The versions of the code that computes the numbers (the scorer's is what changes them; the
    libraries' are recorded for the reader, and no pairing compares them)."""
    from neuronllm import __version__

    return {"neuronllm": __version__, "scorer": SCORER_VERSION, "libraries": library_versions()}


def provenance_digests(
    data: str | None, task_spec: str | None, model: str | None, settings: Mapping[str, Any] | None
) -> dict[str, Any]:
    """The "digests" block of an output's provenance."""
    return {
        "data": data,
        "task_spec": task_spec,
        "model": model,
        "settings": object_digest(dict(settings)) if settings is not None else None,
        "code": code_identity(),
    }


def differing(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None, keys: Iterable[str]) -> list[str]:
    """The digest keys on which two "digests" blocks disagree (a key either block lacks is not compared:
    files written before digests existed are judged by their other fields)."""
    a, b = a or {}, b or {}
    return [k for k in keys if a.get(k) is not None and b.get(k) is not None and a.get(k) != b.get(k)]
