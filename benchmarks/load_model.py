"""Embedded model load time and peak memory: cold (GGUF -> cached HF directory) and cached.

    python benchmarks/load_model.py            # prints a table, writes benchmarks/results/load_model.{json,md}

Each measurement runs in a fresh subprocess (peak RSS = that process's peak, benchmarks/peak_memory.py);
the cold run uses an empty temporary NEURONLLM_CACHE so the conversion really happens.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from tabulate import tabulate

HERE = Path(__file__).resolve().parent
WORKER = r"""
import json, time
start = time.perf_counter()
from peak_memory import process_peak_mib
import torch, transformers
from neuronllm.model.loading import load_model, neuron_counts
imported = time.perf_counter()
model, tokenizer = load_model("embedded")
seconds = time.perf_counter() - imported
peak_rss_mb = process_peak_mib()
print(json.dumps({"seconds": seconds, "import_seconds": imported - start, "peak_rss_mb": peak_rss_mb,
                  "layers": len(neuron_counts(model)), "neurons_per_layer": neuron_counts(model)[0]}))
"""


def measure(cache_dir: str) -> dict:
    path = os.pathsep.join(p for p in (str(HERE), os.environ.get("PYTHONPATH", "")) if p)  # peak_memory.py
    env = dict(os.environ, NEURONLLM_CACHE=cache_dir, HF_HUB_OFFLINE="1", PYTHONPATH=path)
    out = subprocess.run([sys.executable, "-c", WORKER], capture_output=True, text=True, check=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory() as cache:
        cold = measure(cache)
        cached = measure(cache)
    rows = [
        ["cold (GGUF -> fp32 HF dir, first use)", f"{cold['seconds']:.1f}", f"{cold['peak_rss_mb']:.0f}"],
        ["cached HF dir (every later use)", f"{cached['seconds']:.2f}", f"{cached['peak_rss_mb']:.0f}"],
    ]
    table = tabulate(rows, headers=["embedded model load", "seconds (after imports)", "peak RSS MB"], tablefmt="github")
    table += f"\n\nimporting torch + transformers + neuronllm: {cached['import_seconds']:.1f} s"
    print(table)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "load_model.json").write_text(json.dumps({"cold": cold, "cached": cached}, indent=2) + "\n")
    (HERE / "results" / "load_model.md").write_text(table + "\n")


if __name__ == "__main__":
    main()
