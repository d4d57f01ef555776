"""The Snakemake workflow for an installed package: `neuronllm workflow DIR` copies the Snakefile,
workflow/, config/ and profiles/ into DIR, where `snakemake --cores all` (or `--profile profiles/slurm`)
runs it against the installed package; the wheel carries them (pyproject.toml, force-include) because
Snakemake needs real files, not importable modules. From a clone of the repository they are its own.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from neuronllm.errors import UserError

ENTRIES = ("Snakefile", "workflow", "config", "profiles")


def workflow_source() -> Path:
    """The repository (editable install) when the package runs from one, else the wheel's copy."""
    from neuronllm.package_data import shipped_dir

    base = Path(shipped_dir("workflow"))
    if (base / "Snakefile").is_file() and (base / "workflow" / "rules").is_dir():
        return base
    raise UserError(f"this installation of neuronllm has no workflow files (looked in {base})")


def copy_workflow(destination: Path) -> list[Path]:
    """Copy the workflow into `destination` (made if missing); never over an existing file."""
    source = workflow_source()
    if destination.exists() and not destination.is_dir():
        raise UserError(f"{destination} exists and is not a directory")
    clashes = [destination / name for name in ENTRIES if (destination / name).exists()]
    if clashes:
        raise UserError(f"{', '.join(map(str, clashes))} already exist(s): choose an empty directory")
    if source.resolve() == destination.resolve():
        raise UserError(f"{destination} is the workflow's own directory")
    destination.mkdir(parents=True, exist_ok=True)
    copied = []
    for name in ENTRIES:
        src, dst = source / name, destination / name
        if src.is_dir():
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, dst)
        copied.append(dst)
    return copied
