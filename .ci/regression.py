"""CI regression of the reported numbers: run config/ci.yaml end to end, compare with the reference.

    python .ci/regression.py run      # fails, with a readable diff, when a number moved
    python .ci/regression.py update   # re-run and rewrite results/reference/ci.json

Compared: per (seed, task, method, budget) the original and every condition's accuracy,
comprehension and balanced accuracy, and the general tasks' metric values of the specificity matrix.
Tolerance: ABS_TOLERANCE in absolute fraction, below one flipped proxy answer (1/36 with the CI
config), so float noise passes and any changed prediction fails (relative for perplexities).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from neuronllm.analysis.task_metrics import TASK_FORMAT
from neuronllm.atomic import write_json

ROOT = Path(__file__).resolve().parent.parent
CONFIG = "config/ci.yaml"
RESULTS = "results/ci"
REFERENCE = ROOT / "results" / "reference" / "ci.json"
TARGETS = ["table1", "ablation", "table7", "table5", "specificity"]
ABS_TOLERANCE = 0.01
AQUA_METRICS = ("acc", "comprehension", "balanced_acc")  # balanced_acc: the answer-shift gate's input


def run_pipeline(results_dir: str = RESULTS) -> None:
    """Every job, always, in an emptied results directory: Snakemake reruns on config and params
    changes but cannot see a change of the package's code (--forceall), and files an earlier release
    wrote under another layout would otherwise be collected beside the new ones (they were: a v0.1
    `results/ci/embedded/sentiment/tn/...` file once overrode this run's TN numbers)."""
    import shutil

    shutil.rmtree(ROOT / results_dir, ignore_errors=True)
    command = [
        sys.executable,
        "-m",
        "snakemake",
        *[f"{results_dir}/{t}.md" for t in TARGETS],
        "--forceall",
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--directory",
        str(ROOT),
        "--cores",
        "all",
        "--configfile",
        CONFIG,
        "--config",
        f"results_dir={results_dir}",
        "--quiet",
        "rules",
    ]
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    subprocess.run(command, check=True, cwd=ROOT, env=env)


def metrics_files(results_dir: str) -> list[tuple[Path, dict]]:
    """Every metrics file of the plan's {model}/s{seed}/... layout (a stale v0.1 file is not read)."""
    root = ROOT / results_dir
    return [
        (path, json.loads(path.read_text()))
        for path in sorted(root.rglob("metrics*.json"))
        if re.fullmatch(r"s\d+", path.relative_to(root).parts[1])
    ]


def entries(metrics: dict, where: str) -> dict[str, dict[str, float]]:
    """A metrics file's numbers under 's0/WHERE/method/kK/condition'."""
    prefix = f"s{metrics.get('seed', 0)}/{where}/{metrics['method']}/k{metrics['budget']}"
    if metrics.get("format") == TASK_FORMAT:
        found = {f"{prefix}/original": {"value": metrics["original"]["value"]}}
        return found | {f"{prefix}/{name}": {"value": entry["value"]} for name, entry in metrics["conditions"].items()}
    found = {f"{prefix}/original": {k: metrics["original"][k] for k in AQUA_METRICS if k in metrics["original"]}}
    return found | {
        f"{prefix}/{name}": {k: scores[k] for k in AQUA_METRICS if k in scores}
        for name, scores in metrics["conditions"].items()
    }


def on_target(path: Path, metrics: dict) -> bool:
    """A specificity cell of a task's own set on its own task (it repeats Table 1's conditions)."""
    return "specificity" in path.parts and metrics.get("neurons_from", metrics["task"]) == metrics["task"]


def collect(results_dir: str = RESULTS) -> dict[str, dict[str, float]]:
    """{'s0/task/method/kK/condition': {'acc': .., 'comprehension': ..}} from every metrics file (AQUA),
    {'s0/specificity/source->task/condition': {'value': ..}} from the general tasks' ones. The
    specificity matrix's on-target cells are left to `on_target_differences` (their keys are Table 1's)."""
    numbers: dict[str, dict[str, float]] = {}
    for path, metrics in metrics_files(results_dir):
        if on_target(path, metrics):
            continue
        source = metrics.get("neurons_from", metrics["task"])
        where = f"specificity/{source}->{metrics['task']}" if source != metrics["task"] else metrics["task"]
        numbers |= entries(metrics, where)
    return numbers


def on_target_differences(
    numbers: dict[str, dict[str, float]], results_dir: str = RESULTS, tolerance: float = ABS_TOLERANCE
) -> list[str]:
    """The specificity job evaluates each task's own set on its task again, on the same instances: its
    numbers must be Table 1's (`numbers`, from `collect`)."""
    problems = []
    for path, metrics in metrics_files(results_dir):
        if not on_target(path, metrics):
            continue
        for key, values in entries(metrics, metrics["task"]).items():
            if key not in numbers:
                problems.append(f"on-target specificity cell without a Table 1 entry: {key}")
                continue
            for metric, value in values.items():
                if metric not in numbers[key] or abs(value - numbers[key][metric]) > tolerance:
                    problems.append(
                        f"specificity {key:<40} {metric:<13} {value:.4f}, Table 1 {numbers[key].get(metric)}"
                    )
    return problems


def compare(reference: dict, current: dict, tolerance: float = ABS_TOLERANCE) -> list[str]:
    """Readable differences; empty when everything is within tolerance."""
    problems = []
    for key in sorted(set(reference) | set(current)):
        if key not in current:
            problems.append(f"missing now:      {key}")
        elif key not in reference:
            problems.append(f"not in reference: {key}")
        else:
            for metric in sorted(set(reference[key]) | set(current[key])):
                if metric not in reference[key] or metric not in current[key]:
                    problems.append(
                        f"{key:<40} {metric:<13} only in {'reference' if metric in reference[key] else 'the run'}"
                    )
                    continue
                old, new = reference[key][metric], current[key][metric]
                scale = max(1.0, abs(old)) if metric == "value" else 1.0  # perplexities: relative tolerance
                if abs(old - new) > tolerance * scale:
                    problems.append(f"{key:<40} {metric:<13} reference {old:.4f}  now {new:.4f}  ({new - old:+.4f})")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in ("run", "update"):
        print("usage: python .ci/regression.py run|update", file=sys.stderr)
        return 2
    run_pipeline()
    current = collect()
    if argv[0] == "update":
        write_json(REFERENCE, {"config": CONFIG, "tolerance": ABS_TOLERANCE, "numbers": current})
        print(f"wrote {REFERENCE.relative_to(ROOT)} ({len(current)} entries)")
        return 0
    reference = json.loads(REFERENCE.read_text())
    problems = compare(reference["numbers"], current, reference.get("tolerance", ABS_TOLERANCE))
    problems += on_target_differences(current)
    if problems:
        print(
            f"regression: {len(problems)} number(s) moved beyond ±{ABS_TOLERANCE} against "
            f"{REFERENCE.relative_to(ROOT)}:"
        )
        print("\n".join("  " + p for p in problems))
        print("If the change is intended, run `make update-reference` and commit results/reference/ci.json.")
        return 1
    print(f"regression: {len(current)} entries match {REFERENCE.relative_to(ROOT)} within ±{ABS_TOLERANCE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
