"""Core-seconds per job kind of a pipeline run, from Snakemake's own benchmark files.

    python benchmarks/pipeline_cost.py [--results results] [--model qwen2.5-coder-0.5b] [--name NAME]

Reads every `{results}/benchmarks/{model}/**.tsv` (one per job: wall seconds, CPU seconds, peak RSS, mean
load), groups them by target (main, all_tables, specificity, transfer, stability), job kind (the file's name:
attribute, evaluate_main, identify, ...) and task, and writes
benchmarks/results/pipeline_cost_{name}.md (CPU seconds: they barely depend on how many jobs shared the machine)
and .json (every job's wall seconds too, which do).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pandas as pd
from tabulate import tabulate

from neuronllm.tasks.lm_eval_tasks import aqua_task_names

HERE = Path(__file__).resolve().parent


TABLE_JOBS = {"common", "evaluate_common", "evaluate_ablation", "evaluate_table7", "metrics_ablation"}


def target_of(parts: tuple[str, ...], stem: str, budget: int) -> str:
    """Which documented command a job serves, from its benchmark file's path: the main command
    (results/table1.md), the rest of all_tables (Table 5, ablation, Table 7: their jobs, and sets and metrics at
    another budget), results/specificity.md, results/transfer.md or results/stability.md."""
    if "stability" in parts:
        return "stability"
    if "specificity" in parts:
        return "specificity"
    if stem.startswith(("evaluate_transfer", "transfer")):
        return "transfer"
    budgets = {p for p in parts if p[:1] == "k" and p[1:].isdigit()}
    if stem in TABLE_JOBS or "common" in parts or budgets - {f"k{budget}"}:
        return "all_tables"
    return "main"


def job_table(results: Path, model: str, budget: int) -> pd.DataFrame:
    rows = []
    root = results / "benchmarks" / model
    tasks = set(aqua_task_names())  # the task is the path part naming one
    for path in sorted(root.rglob("*.tsv")):
        frame = pd.read_csv(path, sep="\t")
        parts = path.relative_to(root).parts
        task = next((p for p in parts if p in tasks), "-")
        study = target_of(parts, path.stem, budget)
        rows.append(
            {
                "job": f"{study}:{path.stem}"
                + (f"/{parts[-2]}" if path.stem == "attribute" and study == "stability" else ""),
                "task": task,
                "wall_s": float(frame["s"].iloc[0]),
                "cpu_s": float(frame["cpu_time"].iloc[0]),
                "max_rss_mib": float(frame["max_rss"].iloc[0]),
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", default="results")
    parser.add_argument("--model", default="qwen2.5-coder-0.5b")
    parser.add_argument("--name", default=None, help="output name (default: the model)")
    parser.add_argument("--budget", type=int, default=100, help="the main command's K (config `budget`)")
    args = parser.parse_args()
    jobs = job_table(Path(args.results), args.model, args.budget)
    if jobs.empty:
        raise SystemExit(f"no benchmark files under {args.results}/benchmarks/{args.model}")
    by_task = jobs.pivot_table(index="job", columns="task", values="cpu_s", aggfunc="sum", fill_value=0.0)
    by_task["all"] = by_task.sum(axis=1)
    by_task["jobs"] = jobs.groupby("job").size()
    by_task["peak RSS MiB"] = jobs.groupby("job")["max_rss_mib"].max()
    by_task = by_task.sort_values("all", ascending=False)
    totals = jobs.groupby(jobs["job"].str.split(":").str[0])["cpu_s"].sum()
    table = tabulate(by_task.round(0), headers="keys", tablefmt="github", floatfmt=".0f")
    summary = "; ".join(f"{study}: {seconds:.0f} core-seconds" for study, seconds in totals.items())
    print(table)
    print(summary)
    name = args.name or args.model
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / f"pipeline_cost_{name}.md").write_text(
        f"CPU seconds per job kind and task ({args.results}/benchmarks/{args.model}, Snakemake benchmark files)\n\n"
        + table
        + "\n\n"
        + summary
        + "\n"
    )
    (HERE / "results" / f"pipeline_cost_{name}.json").write_text(
        json.dumps({"jobs": jobs.to_dict(orient="records"), "totals": totals.to_dict()}, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
