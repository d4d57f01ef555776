"""bf16 against fp32 on this CPU, on the same weights: agreement and speed of evaluation and attribution.

    python benchmarks/precision.py [--model embedded] [--eval-instances N] [--prompts 3] [--steps 8]

Evaluation: every AQUA task of the shipped data (text answers, seed 0, the unmodified model), scored once
in float32 and once in bfloat16 by the pipeline's own `evaluate`: the share of proxy predictions that
flip, the largest |difference| of an option's log-likelihood, accuracy and comprehension in each, and
the seconds of each (load excluded). Attribution: the pipeline's attribute job (every kind the methods
need, `compute_attributions`) on the first identification prompts of each task in both dtypes: per
kind, the scores summed over the prompts (what a method ranks) compared by the overlap of their top-K
positive and top-K negative neurons, Spearman's rank correlation and the relative L2 difference; and
the seconds per prompt. bf16 is admitted where it is fast *and* agrees (the issue's bar: at most 1% of
predictions flipped); the numbers decide the default, not the other way round.
Writes benchmarks/results/precision_<model>.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import torch
from scipy.stats import spearmanr
from tabulate import tabulate

from neuronllm.attribution.kinds import compute_attributions
from neuronllm.evaluation.evaluate import Condition, EvalSettings, evaluate
from neuronllm.model.loading import load_model, provenance_name
from neuronllm.tasks.lm_eval_tasks import find_task, load_proxies

HERE = Path(__file__).resolve().parent
TASKS = ["ner", "chunking", "sentiment", "commonsense"]
KINDS = ["contrastive", "gold_prob", "grad_x_act", "activation"]


def top_overlap(a: torch.Tensor, b: torch.Tensor, k: int, largest: bool) -> int:
    first = set(torch.topk(a, k, largest=largest).indices.tolist())
    return len(first & set(torch.topk(b, k, largest=largest).indices.tolist()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="embedded")
    parser.add_argument("--eval-instances", type=int, default=None, help="default: every evaluation instance")
    parser.add_argument("--prompts", type=int, default=3, help="identification prompts per task")
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--layer-batch", type=int, default=6)
    parser.add_argument("--budget", type=int, default=100, help="K of the top-K overlaps")
    parser.add_argument("--skip-eval", action="store_true")
    args = parser.parse_args()
    dtypes = ("float32", "bfloat16")
    loaded = {dtype: load_model(args.model, dtype=dtype) for dtype in dtypes}
    name = provenance_name(args.model).split(":", 1)[-1].removesuffix(".gguf")
    record: dict = {"model": provenance_name(args.model), "threads": torch.get_num_threads(), "settings": vars(args)}
    eval_rows, attr_rows = [], []
    for task in TASKS:
        if not args.skip_eval:
            settings = EvalSettings(
                task=task, answer_format="text", eval_instances=args.eval_instances, data_files="shipped"
            )
            results, seconds = {}, {}
            for dtype in dtypes:
                start = time.perf_counter()
                results[dtype] = evaluate(args.model, settings, [Condition()], loaded=loaded[dtype])[0]
                seconds[dtype] = time.perf_counter() - start
            full, half = (results[d]["predictions"] for d in dtypes)
            flips = sum(a["prediction"] != b["prediction"] for a, b in zip(full, half))
            delta = max(abs(x - y) for a, b in zip(full, half) for x, y in zip(a["scores"], b["scores"]))
            row = {
                "task": task,
                "proxies": len(full),
                "flipped": flips,
                "flipped_share": flips / len(full),
                "max_abs_delta_loglik": delta,
                **{f"acc_{d}": results[d]["acc"] for d in dtypes},
                **{f"comprehension_{d}": results[d]["comprehension"] for d in dtypes},
                **{f"seconds_{d}": seconds[d] for d in dtypes},
            }
            eval_rows.append(row)
            print(row, flush=True)
        _, proxies = load_proxies(find_task(task, "text"), "identify", "text", 0, args.prompts, None, "shipped")
        scores, seconds = {}, {}
        for dtype in dtypes:
            start = time.perf_counter()
            scores[dtype] = compute_attributions(
                loaded[dtype], proxies[: args.prompts], KINDS, args.steps, args.layer_batch, progress=False
            ).scores
            seconds[dtype] = (time.perf_counter() - start) / len(proxies[: args.prompts])
        for kind in KINDS:
            a, b = (scores[d][kind].sum(0).flatten().double() for d in dtypes)
            row = {
                "task": task,
                "kind": kind,
                "top_positive": top_overlap(a, b, args.budget, True),
                "top_negative": top_overlap(a, b, args.budget, False),
                "spearman": float(spearmanr(a.numpy(), b.numpy()).statistic),
                "relative_l2": float((a - b).norm() / a.norm()),
                **{f"seconds_per_prompt_{d}": seconds[d] for d in dtypes},
            }
            attr_rows.append(row)
            print(row, flush=True)
    record |= {"evaluation": eval_rows, "attribution": attr_rows}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / f"precision_{name}.json").write_text(json.dumps(record, indent=2) + "\n")
    note = (
        f"{record['model']}, bf16 against fp32 on the same weights, {record['threads']} threads, text answers, "
        f"shipped data, seed 0; attribution m = {args.steps}, {args.prompts} prompts per task, K = {args.budget} "
        f"(benchmarks/precision.py, {time.strftime('%Y-%m-%d')}; load average {os.getloadavg()[0]:.1f})."
    )
    tables = [note]
    if eval_rows:
        tables.append(
            tabulate(
                [
                    [
                        r["task"],
                        r["proxies"],
                        f"{r['flipped']} ({100 * r['flipped_share']:.1f}%)",
                        f"{r['max_abs_delta_loglik']:.3f}",
                        f"{100 * r['acc_float32']:.1f} / {100 * r['acc_bfloat16']:.1f}",
                        f"{100 * r['comprehension_float32']:.1f} / {100 * r['comprehension_bfloat16']:.1f}",
                        f"{r['seconds_float32']:.1f} / {r['seconds_bfloat16']:.1f}",
                    ]
                    for r in eval_rows
                ],  # fmt: skip
                headers=[
                    "task",
                    "proxies",
                    "flipped",
                    "max abs dlog-lik",
                    "acc % fp32/bf16",
                    "comp. % fp32/bf16",
                    "seconds fp32/bf16",
                ],  # fmt: skip
                tablefmt="github",
            )
        )
    tables.append(
        tabulate(
            [
                [
                    r["task"],
                    r["kind"],
                    f"{r['top_positive']}/{args.budget}",
                    f"{r['top_negative']}/{args.budget}",
                    f"{r['spearman']:.4f}",
                    f"{r['relative_l2']:.2e}",
                    f"{r['seconds_per_prompt_float32']:.1f} / {r['seconds_per_prompt_bfloat16']:.1f}",
                ]
                for r in attr_rows
            ],  # fmt: skip
            headers=["task", "kind", "top-K +", "top-K -", "Spearman", "rel. L2", "s/prompt fp32/bf16"],
            tablefmt="github",
        )
    )
    text = "\n\n".join(tables) + "\n"
    print(text)
    (HERE / "results" / f"precision_{name}.md").write_text(text)


if __name__ == "__main__":
    main()
