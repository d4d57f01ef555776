"""Write files so that a crash never leaves a partial output behind (Snakemake can then resume).

Outputs get the mode of the file they replace, or 0666 minus the umask for a new file (0644 usually),
not mkstemp's private 0600. JSON is strict: NaN and Infinity are not JSON, so writing one is a bug to
fix at its source (where a reason can be recorded beside a null), not a file to hand on.
"""

from __future__ import annotations

import json
import math
import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from neuronllm.errors import UserError


def _new_file_mode() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


@contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it is renamed onto `path`, on error removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = stat.S_IMODE(path.stat().st_mode) if path.is_file() else _new_file_mode()
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def write_text(path: str | Path, text: str) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def finite_or_none(value: float) -> float | None:
    """A number for JSON: NaN and ±inf become None (callers record why beside it)."""
    return value if math.isfinite(value) else None


def write_json(path: str | Path, obj: Any) -> None:
    """Deterministic, strict JSON (sorted keys, fixed indent, no NaN/Infinity): same result, same bytes."""
    write_text(path, json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False) + "\n")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def read_json(path: str | Path, what: str = "input") -> dict[str, Any]:
    """The reading side of write_json, for every file the pipeline reads back: strict JSON (NaN and
    Infinity refused), a JSON object, from a regular UTF-8 file; each problem one line naming the file."""
    from neuronllm.digests import regular_file

    regular_file(path, what)  # not found, a directory, a FIFO or device
    try:
        obj = json.loads(Path(path).read_text(encoding="utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a {what} file (not UTF-8 text)") from None
    except ValueError as err:  # JSONDecodeError, and NaN/Infinity
        raise UserError(f"{path}: not valid JSON ({err})") from None
    if not isinstance(obj, dict):
        raise UserError(f"{path}: not a {what} file (expected a JSON object)")
    return obj


_created: list[Path] = []


def remove_created_directories() -> None:
    """Remove the (still empty) directories check_writable created, deepest first."""
    for directory in sorted(set(_created), key=lambda p: len(p.parts), reverse=True):
        try:
            directory.rmdir()
        except OSError:
            pass
    _created.clear()


def check_writable(path: str | Path, what: str = "output") -> Path:
    """Fail now, in one line, when `path` cannot be written: it is a directory, lies below a file, or
    its directory does not accept new files. Run before any expensive work (creates the parent)."""
    path = Path(path)
    if path.is_dir():
        raise UserError(f"{what} {path} is a directory, not a file")
    ancestor = path.parent
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if ancestor.exists() and not ancestor.is_dir():
        raise UserError(f"{what} {path}: {ancestor} is a file, not a directory")
    missing = [p for p in [path.parent, *path.parent.parents] if not p.exists()]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        _created.extend(missing)
        fd, probe = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".probe", dir=path.parent)
        os.close(fd)
        os.remove(probe)
    except OSError as err:
        raise UserError(f"{what} {path} cannot be written ({err.strerror or type(err).__name__})") from None
    return path


def check_distinct(outputs: list[str | Path], inputs: list[str | Path]) -> None:
    """Refuse an output that is also an input (or another output): it would be destroyed or overwritten."""

    def key(p: str | Path) -> Path:
        return Path(p).expanduser().resolve()

    seen: dict[Path, str] = {}
    for p in inputs:
        seen.setdefault(key(p), "input")
    for p in outputs:
        k = key(p)
        if k in seen:
            raise UserError(f"output {p} is also an {seen[k]}: refusing to overwrite it")
        seen[k] = "output"
