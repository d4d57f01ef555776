"""Shared-context scoring (the `neuronllm` lm-eval model) against lm-eval's HFLM on the same requests.

    python benchmarks/eval_speed.py [--task ner] [--format text] [--instances 10]

Both score the same loglikelihood requests of AQUA proxy questions with the embedded model: HFLM runs
every (context, option) pair as its own sequence; NeuronLLM runs each context's prefix once with a KV
cache and all its options as one short batch, and (across conditions) reuses the prefix cache. Prints
wall times, the speed-up and the largest difference of any log-likelihood; writes
benchmarks/results/eval_speed.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from lm_eval.api.instance import Instance  # noqa: E402
from lm_eval.models.huggingface import HFLM  # noqa: E402
from tabulate import tabulate  # noqa: E402

from neuronllm.lm_eval_model import NeuronLLM  # noqa: E402
from neuronllm.lm_eval_tasks import find_task, load_proxies  # noqa: E402
from neuronllm.models import load_model  # noqa: E402

HERE = Path(__file__).resolve().parent


def requests_for(proxies) -> list[Instance]:
    requests = []
    for proxy in proxies:
        for choice in proxy.choices:
            requests.append(Instance("loglikelihood", doc={}, arguments=(proxy.prompt, " " + choice), idx=len(requests)))
    return requests


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="ner")
    parser.add_argument("--format", default="text", choices=["letter", "text"])
    parser.add_argument("--instances", type=int, default=10, help="evaluation instances (x3 proxies)")
    args = parser.parse_args()

    model, tokenizer = load_model("embedded")
    task = find_task(args.task, args.format)
    _, proxies = load_proxies(task, "evaluate", args.format, 0, None, args.instances, "shipped")
    requests = requests_for(proxies)

    hflm = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=1)
    ours = NeuronLLM(pretrained=model, tokenizer=tokenizer, spec="embedded", letter_merge=False)
    ours.loglikelihood(requests[:4], disable_tqdm=True)  # warm-up (first-touch of the weights) for both
    hflm_time, hflm_scores = timed(lambda: hflm.loglikelihood(requests, disable_tqdm=True))
    ours_time, ours_scores = timed(lambda: ours.loglikelihood(requests, disable_tqdm=True))
    again = NeuronLLM(pretrained=model, tokenizer=tokenizer, spec="embedded", letter_merge=False, prefix_cache=ours.prefix_cache)
    reuse_time, _ = timed(lambda: again.loglikelihood(requests, disable_tqdm=True))
    max_diff = max(abs(a[0] - b[0]) for a, b in zip(hflm_scores, ours_scores))

    rows = [
        ["HFLM (lm-eval 0.4.13, batch 1)", f"{hflm_time:.1f}", "1.0x"],
        ["neuronllm, shared context", f"{ours_time:.1f}", f"{hflm_time / ours_time:.1f}x"],
        ["neuronllm, prefix cache reused (2nd condition)", f"{reuse_time:.1f}", f"{hflm_time / reuse_time:.1f}x"],
    ]
    table = tabulate(rows, headers=["scoring", "seconds", "speed-up"], tablefmt="github")
    summary = (f"{len(proxies)} proxy questions ({args.task}, {args.format}), {len(requests)} requests, "
               f"max |Δ loglikelihood| = {max_diff:.2e}")
    print(table)
    print(summary)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "eval_speed.md").write_text(table + "\n\n" + summary + "\n")
    (HERE / "results" / "eval_speed.json").write_text(json.dumps({
        "task": args.task, "format": args.format, "proxies": len(proxies), "requests": len(requests),
        "hflm_s": hflm_time, "shared_context_s": ours_time, "prefix_reused_s": reuse_time, "max_abs_diff": max_diff,
    }, indent=2) + "\n")


if __name__ == "__main__":
    main()
