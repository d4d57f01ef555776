"""The checks of benchmarks/gpu_check.sh: merge the rehearsal runs into one JSON and judge them.

    python benchmarks/gpu_check.py OUT.json RESULTS_DIR RUN [RUN ...]

Limits (bf16 numbers, random weights): the cached engine agrees with the naive one (max relative
difference of the attributions ≤ 2e-2, top-100 overlap ≥ 90); integrated gradients are complete
(Σ_l |ΣIG_l − ΔF_l| / Σ_l |ΔF_l| ≤ 0.15 over the layers: a random model's ΔF of a single layer
can be ~0, so per-layer ratios mean nothing); the `neuronllm`
model's log-likelihoods match HFLM's (max |Δ| ≤ 0.25 nats: bf16 logits round at ~2^-8 relative); bf16
keeps ≥ 80 of fp32's top-100 good and bad neurons and a Spearman ≥ 0.95; the memory model's predicted
total is within ±15% of every measured peak. Exit status 1 when any check fails.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def checks_of(run: dict) -> list[dict]:
    from scale_rehearsal import predicted_total

    steps, out = run["steps"], []

    def check(name: str, value: float, limit: float, upper: bool = True) -> None:
        out.append(
            {"check": name, "value": value, "limit": limit, "ok": bool(value <= limit if upper else value >= limit)}
        )

    for name, r in steps.items():
        kind = name.split("/")[0]
        if kind == "identify" and "completeness" in r:  # Σ_l |ΣIG_l − ΔF_l| / Σ_l |ΔF_l|, worst objective
            check(
                f"{name}: completeness (relative)",
                max(
                    sum(abs(a - b) for a, b in zip(c["sum_ig"], c["delta_f"]))
                    / max(sum(abs(b) for b in c["delta_f"]), 1e-12)
                    for c in r["completeness"].values()
                ),
                0.15,
            )
        elif kind == "naive":
            check(f"{name}: cached vs naive (max rel diff)", r["max_rel_diff"], 2e-2)
            check(f"{name}: cached vs naive top-100 overlap", r["top100_overlap"], 90, upper=False)
        elif kind == "evaluate":
            check(f"{name}: max |Δ log-lik| vs HFLM", r["max_abs_diff"], 0.25)
        elif kind == "exactness":
            for task, v in r["per_task"].items():
                check(f"{name}/{task}: top-100 good overlap vs fp32", v["good_overlap"], 80, upper=False)
                check(f"{name}/{task}: top-100 bad overlap vs fp32", v["bad_overlap"], 80, upper=False)
                check(f"{name}/{task}: Spearman vs fp32", v["spearman"], 0.95, upper=False)
        for measured, predicted in predicted_total(run, name):
            check(f"{name}: memory model error (total)", abs(predicted - measured) / measured, 0.15)
    return out


def main() -> int:
    out, results, runs = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
    merged = {"runs": {}, "checks": []}
    for name in runs:
        run = json.loads((results / f"{name}.json").read_text())
        merged["runs"][name] = run
        merged["checks"] += [{**c, "run": name} for c in checks_of(run)]
    merged["ok"] = all(c["ok"] for c in merged["checks"])
    out.write_text(json.dumps(merged, indent=1) + "\n")
    for c in merged["checks"]:
        print(f"{'ok  ' if c['ok'] else 'FAIL'} {c['run']}: {c['check']} = {c['value']:.4g} (limit {c['limit']})")
    print(out)
    return 0 if merged["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
