"""bf16 against fp32 matmul speed on this CPU: the shapes of a 7B model's projections.

    python benchmarks/bf16_matmul.py [--threads 1 2] [--rows 1 16 84 256 512]

x [rows, 4096] @ W [4096, out] for out = 4096 (attention) and 11008 (FFN), rows = 1, 16, 84 (a letter IG
pass), 256, 512 (a full text IG pass), forward (F.linear) and backward (grad @ W), 1 and 2 threads;
GFLOP/s over one second each. Writes benchmarks/results/bf16_matmul_<kind>.{json,md} (kind: the CPU's
bf16 support: amx, avx512bf16 or nobf16), with the CPU model, its bf16 flags and the load average (the
machine is shared). Machines of one name differ: an AMD EPYC without AVX-512 runs bf16 several times
slower than fp32, an Intel CPU with AMX several times faster.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from tabulate import tabulate

HERE = Path(__file__).resolve().parent


def rate(fn, flops: float) -> float:
    for _ in range(2):
        fn()
    n, start = 0, time.perf_counter()
    while time.perf_counter() - start < 1.0:
        fn()
        n += 1
    return flops * n / (time.perf_counter() - start) / 1e9


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rows", type=int, nargs="+", default=[1, 16, 84, 256, 512])
    args = parser.parse_args()
    flags = sorted(
        {
            f
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("flags")
            for f in line.split()
            if "bf16" in f or f.startswith("amx")
        }
    )
    kind = "amx" if any(f.startswith("amx") for f in flags) else "avx512bf16" if "avx512_bf16" in flags else "nobf16"
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        "unknown CPU",
    )
    rows, records = [], []
    for threads in args.threads:
        torch.set_num_threads(threads)
        for out in (4096, 11008):
            for m in args.rows:
                measured = {}
                for dtype in (torch.float32, torch.bfloat16):
                    w = torch.randn(out, 4096, dtype=dtype)
                    x, g = torch.randn(m, 4096, dtype=dtype), torch.randn(m, out, dtype=dtype)
                    flops = 2 * m * 4096 * out
                    measured[str(dtype)] = (
                        rate(lambda x=x, w=w: F.linear(x, w), flops),
                        rate(lambda g=g, w=w: g @ w, flops),
                    )
                (f32, f32b), (b16, b16b) = measured["torch.float32"], measured["torch.bfloat16"]
                load = os.getloadavg()[0]
                records.append(
                    {
                        "threads": threads,
                        "rows": m,
                        "out": out,
                        "fp32_gflops": f32,
                        "bf16_gflops": b16,
                        "fp32_backward_gflops": f32b,
                        "bf16_backward_gflops": b16b,
                        "loadavg": load,
                    }
                )
                rows.append(
                    [
                        threads,
                        m,
                        out,
                        f"{f32:.0f}",
                        f"{b16:.0f}",
                        f"{b16 / f32:.2f}×",
                        f"{f32b:.0f}",
                        f"{b16b:.0f}",
                        f"{b16b / f32b:.2f}×",
                        f"{load:.1f}",
                    ]
                )
    table = tabulate(
        rows,
        headers=[
            "threads",
            "rows",
            "out",
            "fp32 GF/s",
            "bf16 GF/s",
            "bf16/fp32",
            "fp32 bwd",
            "bf16 bwd",
            "bf16/fp32 bwd",
            "load",
        ],
        tablefmt="github",
    )
    note = (
        f"x[rows, 4096] @ W[4096, out], forward F.linear and backward grad @ W; torch {torch.__version__}, "
        f"{model}, CPU flags {', '.join(flags) or 'none'}, {os.cpu_count()} CPUs shared with other jobs (load average "
        f"per row) (benchmarks/bf16_matmul.py, {time.strftime('%Y-%m-%d')})."
    )
    print(note + "\n\n" + table)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / f"bf16_matmul_{kind}.md").write_text(note + "\n\n" + table + "\n")
    (HERE / "results" / f"bf16_matmul_{kind}.json").write_text(
        json.dumps({"cpu": model, "flags": flags, "rows": records}, indent=1) + "\n"
    )


if __name__ == "__main__":
    main()
