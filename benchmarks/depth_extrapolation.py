"""Full-depth cost from depth-truncated rehearsals, and the method checked where full depth was measured.

    python benchmarks/depth_extrapolation.py --shape llama2-13b --runs NAME_2L NAME_4L [--target-layers 40]
        [--check NAME_FULL] [--name NAME]

Why: a 13B-shaped model in bf16 (26 GB) does not fit in this machine's 24 GB, so its identification is
measured at 2 and 4 of its 40 layers (benchmarks/scale_rehearsal.py) and carried to full depth here.
Per-layer cost is the same at every depth, but an IG pass for layer l runs the layers from l up, so
a prompt's work is not linear in the depth; the carry therefore goes through the cached engine's FLOP
counts (benchmarks/projection.py's `identification_counts`): seconds = a + FLOPs / R, with the fixed
cost a and the rate R fitted to the truncated runs (two runs determine the line). Memory: the memory
model's prediction at full depth (neuronllm/memory.py), beside its error at the measured depths, and a
straight line through the measured totals. `--check` applies the same carry to a shape whose full depth
was measured (the 7B shape: fitted on 2 and 4 layers, compared with 32), which is how the method is
judged. Timings come from a shared 2-core machine: the runs' thread counts and load averages are listed.
Writes benchmarks/results/{NAME}.{json,md}.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from tabulate import tabulate

from neuronllm.model import memory
from neuronllm.model.shapes import shape_config

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"


def _load(name: str) -> dict:
    return json.loads((RESULTS / f"{name}.json").read_text())


def _layers(run: dict) -> int:
    return int(run["steps"]["build"]["layers"])


def _flops(shape: str, layers: int, vocab: int, r: dict) -> float:
    from projection import identification_counts  # benchmarks/ is on sys.path when run as a script

    config = shape_config(shape, layers, vocab)
    return float(
        sum(
            f
            for f, _, _ in identification_counts(
                config, r["prompt_tokens"], r["trie_tokens"], r["steps"], r["layer_batch"]
            )
        )
    )


def _memory(shape: str, layers: int, vocab: int, r: dict, dtype: str, device: str, baseline: float) -> float:
    """The memory model's total, plus the process's resident memory before the model was loaded (Python,
    torch, tokenizer: the measured totals include it)."""
    config = shape_config(shape, layers, vocab)
    weights = memory.weight_bytes(config, dtype) / memory.MIB
    return baseline + memory.identification_peak(
        config, r["prompt_tokens"], r["trie_tokens"], r["steps"], r["layer_batch"], dtype=dtype, device=device
    ).total_mib(weights)


def carry(shape: str, runs: list[dict], target: int) -> dict:
    """Per identify step common to the runs: the fitted time line and the full-depth predictions."""
    vocab = int(runs[0]["steps"]["build"]["vocab_size"])
    dtype, device = runs[0]["settings"]["dtype"], runs[0]["settings"]["device"]
    steps = sorted(set.intersection(*(set(k for k in run["steps"] if k.startswith("identify/")) for run in runs)))
    out = {}
    for step in steps:
        points = [(_layers(run), run["steps"][step]) for run in runs]
        flops = np.array([_flops(shape, layers, vocab, r) for layers, r in points])
        seconds = np.array([r["seconds"] for _, r in points])
        slope, fixed = np.polyfit(flops, seconds, 1)
        reference = points[-1][1]
        target_flops = _flops(shape, target, vocab, reference)
        totals = np.array(
            [r["increment_mib"] + run["steps"]["load"]["weights_mib"] for (_, r), run in zip(points, runs)]
        )
        depths = np.array([layers for layers, _ in points], dtype=float)
        line = np.polyfit(depths, totals, 1)
        out[step] = {
            "depths": depths.tolist(),
            "seconds": seconds.tolist(),
            "flops": flops.tolist(),
            "rate_gflops": (1e-9 / slope) if slope > 0 else None,
            "fixed_seconds": float(fixed),
            "target_layers": target,
            "target_flops": target_flops,
            "predicted_seconds": float(fixed + slope * target_flops),
            # the deepest run's seconds per FLOP, overheads included: the plain proportional carry
            "predicted_seconds_proportional": float(seconds[-1] * target_flops / flops[-1]),
            "measured_total_mib": totals.tolist(),
            "model_total_mib": [
                _memory(shape, int(d), vocab, r, dtype, device, run["steps"]["load"].get("before_mib", 0.0))
                for d, (_, r), run in zip(depths, points, runs)
            ],
            "predicted_total_mib_model": _memory(
                shape, target, vocab, reference, dtype, device, runs[-1]["steps"]["load"].get("before_mib", 0.0)
            ),
            "predicted_total_mib_line": float(np.polyval(line, target)),
            "threads_load": [f"{r['threads']} / {r['loadavg_start']:.1f}–{r['loadavg_end']:.1f}" for _, r in points],
        }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", required=True)
    parser.add_argument("--runs", nargs="+", required=True, help="scale_rehearsal result names at truncated depths")
    parser.add_argument("--target-layers", type=int, default=None, help="default: the shape's full depth")
    parser.add_argument("--check", default=None, help="a result name measured at the target depth")
    parser.add_argument("--name", default=None)
    args = parser.parse_args()
    runs = sorted((_load(n) for n in args.runs), key=_layers)
    target = args.target_layers or int(runs[0]["steps"]["build"]["full_layers"])
    record = {"shape": args.shape, "runs": args.runs, "target_layers": target, "steps": carry(args.shape, runs, target)}
    checked = _load(args.check)["steps"] if args.check else {}
    rows = []
    for step, c in record["steps"].items():
        measured = checked.get(step)
        if measured:
            c["check"] = {
                "seconds": measured["seconds"],
                "total_mib": measured["increment_mib"] + _load(args.check)["steps"]["load"]["weights_mib"],
            }
        rows.append(
            [
                step,
                " / ".join(f"{d:.0f}L {s:.0f} s" for d, s in zip(c["depths"], c["seconds"])),
                f"{c['rate_gflops']:.0f}" if c["rate_gflops"] else "–",
                f"{c['fixed_seconds']:.0f}",
                f"{c['predicted_seconds']:.0f}",
                f"{c['predicted_seconds_proportional']:.0f}",
                f"{c['check']['seconds']:.0f}" if measured else "–",
                " / ".join(
                    f"{100 * (p - c['check']['seconds']) / c['check']['seconds']:+.0f}%"
                    for p in (c["predicted_seconds"], c["predicted_seconds_proportional"])
                )
                if measured
                else "–",
                f"{c['predicted_total_mib_model']:.0f}",
                f"{c['predicted_total_mib_line']:.0f}",
                f"{c['check']['total_mib']:.0f}" if measured else "–",
                " ; ".join(c["threads_load"]),
            ]
        )
    name = args.name or f"depth_{args.shape}_{target}L"
    table = tabulate(
        rows,
        headers=[
            "step",
            "measured (depth, s)",
            "fitted GFLOP/s",
            "fixed s",
            f"line: s at {target}L",
            f"proportional: s at {target}L",
            "measured s",
            "error (line / proportional)",
            "memory model MiB",
            "line through totals MiB",
            "measured MiB",
            "threads / load",
        ],
        tablefmt="github",
    )
    text = (
        f"# {args.shape}: identification carried from {', '.join(str(_layers(r)) for r in runs)} layers to {target}\n\n"
        "Line: seconds = fixed + FLOPs / rate, fitted to the truncated runs; proportional: the deepest truncated "
        "run's seconds per FLOP times the full depth's FLOPs; FLOPs from the cached engine's counts "
        "(benchmarks/projection.py); memory from neuronllm/memory.py at full depth and from a straight line through "
        "the measured totals. An extrapolation, not a measurement"
        + (", checked where full depth was measured" if checked else "")
        + ".\n\n"
        + table
        + "\n"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(record, indent=1) + "\n")
    (RESULTS / f"{name}.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
