"""Running the workflow from a test: one `snakemake` call and one reader of its dry-run "Job stats" table,
shared by the DAG, stability and resume tests."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def environment() -> dict[str, str]:
    """This interpreter's bin first on PATH: the rules' `neuronllm` commands are the tested package's."""
    return dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")


def snakemake(*args: str, cwd: Path = ROOT, timeout: int = 300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(ROOT), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=environment(),
        timeout=timeout,
    )


def job_stats(output: str) -> dict[str, int]:
    """Snakemake's "Job stats" table of a dry run: {rule: count}."""
    lines = output.split("Job stats:", 1)[1].splitlines()
    stats = {}
    for line in lines[3:]:
        if not line.strip():
            break
        rule, count = line.split()
        stats[rule] = int(count)
    return stats
