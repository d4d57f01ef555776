"""benchmarks/gpu_check.sh runs end to end without a GPU (tiny shape, CPU): the GPU acceptance run is
known to work before a GPU is ever lent, and writes one JSON with its checks."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_gpu_check_runs_on_cpu_at_a_tiny_shape(tmp_path):
    out = tmp_path / "check.json"
    env = {**os.environ, "PYTHON": sys.executable, "CUDA_VISIBLE_DEVICES": "", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        ["bash", str(ROOT / "benchmarks" / "gpu_check.sh"), str(out)],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    result = json.loads(out.read_text())
    steps = result["runs"]["main"]["steps"]
    assert result["runs"]["main"]["settings"]["shape"] == "tiny"
    expected = {
        f"identify/{f}/{t}" for f in ("letter", "text") for t in ("ner", "chunking", "sentiment", "commonsense")
    }
    assert expected | {"naive/letter", "naive/text", "evaluate/letter", "evaluate/text", "exactness/letter"} <= set(
        steps
    )
    kinds = {c["check"].split(":")[1].strip() for c in result["checks"]}
    assert {"cached vs naive (max rel diff)", "max |Δ log-lik| vs HFLM", "memory model error (total)"} <= kinds
    assert result["ok"] is True and all(c["ok"] for c in result["checks"])
    assert not list(tmp_path.glob("**/*.safetensors"))  # the built weights are gone
