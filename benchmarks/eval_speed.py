"""Batched shared-context scoring (the `neuronllm` lm-eval model) against lm-eval's HFLM, same requests.

    python benchmarks/eval_speed.py [--task ner] [--format text] [--instances 30] [--conditions 4] [--model M]

Both score the same loglikelihood requests of AQUA proxy questions with --model (default: the default subject), in one
process, one after the other:
  HFLM            lm-eval 0.4.13's HFLM, batch size 1 (its default) and --hflm-batch (default 8);
  cold            NeuronLLM, one condition: the prefix tree is built (each shared prefix once), then
                  one batched option pass;
  warm            each further condition on the same prefix tree: one option pass (measured on a tree read
                  from disk, one condition against all of them);
  disk            a new process-like NeuronLLM reading the prefix tree from a prefix_cache directory.
Prints wall times, ratios against HFLM, the largest |Δ log-likelihood| against HFLM (unmodified), and
peak RSS above the loaded model per phase; writes benchmarks/results/eval_speed_{model}_{task}_{format}_{n}.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from lm_eval.api.instance import Instance
from lm_eval.models.huggingface import HFLM
from peak_memory import Peak  # benchmarks/ is on sys.path when run as a script
from subject import add_model_argument, model_label, model_slug
from tabulate import tabulate

from neuronllm.evaluation.lm_eval_model import NeuronLLM
from neuronllm.model.condition import Condition
from neuronllm.model.loading import load_model
from neuronllm.neurons import Neuron, NeuronSet
from neuronllm.tasks.lm_eval_tasks import find_task, load_proxies

HERE = Path(__file__).resolve().parent


def requests_for(proxies) -> list[Instance]:
    requests = []
    for proxy in proxies:
        for choice in proxy.choices:
            requests.append(
                Instance("loglikelihood", doc={}, arguments=(proxy.prompt, " " + choice), idx=len(requests))
            )
    return requests


def timed(fn):
    with Peak() as memory:
        result = fn()
    return memory.seconds, memory.increment_mib, result


def random_sets(counts: list[int], n: int, directory: Path) -> list[str]:
    """n neuron sets of 100 good + 100 bad neurons each (what a degrader changes), for the warm conditions."""
    import random

    paths = []
    for seed in range(n):
        rng = random.Random(seed)
        picks = rng.sample([(layer, i) for layer, c in enumerate(counts) for i in range(c)], 200)
        path = directory / f"set{seed}.json"
        NeuronSet(
            [Neuron(l, i, 1.0) for l, i in picks[:100]], [Neuron(l, i, -1.0) for l, i in picks[100:]], counts
        ).save(path)
        paths.append(str(path))
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", default="ner")
    parser.add_argument("--format", default="text", choices=["letter", "text"])
    parser.add_argument("--instances", type=int, default=30, help="evaluation instances (x3 proxies)")
    parser.add_argument("--conditions", type=int, default=4, help="conditions scored in the warm phase")
    parser.add_argument("--hflm-batch", type=int, default=8)
    add_model_argument(parser)
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    loaded = load_model(args.model)
    task = find_task(args.task, args.format)
    _, proxies = load_proxies(task, "evaluate", args.format, 0, None, args.instances, "shipped")
    requests = requests_for(proxies)
    work = Path(tempfile.mkdtemp(prefix="eval-speed-"))
    sets = random_sets(loaded.neuron_counts, args.conditions, work)

    hflm = HFLM(pretrained=loaded.model, tokenizer=loaded.tokenizer, batch_size=1)
    hflm.loglikelihood(requests[:4], disable_tqdm=True)  # warm-up (first touch of the weights)
    hflm_s, hflm_mb, hflm_scores = timed(lambda: hflm.loglikelihood(requests, disable_tqdm=True))
    hflm_batched = HFLM(pretrained=loaded.model, tokenizer=loaded.tokenizer, batch_size=args.hflm_batch)
    batched_s, batched_mb, _ = timed(lambda: hflm_batched.loglikelihood(requests, disable_tqdm=True))

    ours = NeuronLLM(pretrained=loaded, letter_merge=False)
    ours.set_conditions([Condition()] + [Condition(p, "degrade", "both") for p in sets])
    ours.scorer.progress = False
    cold_s, cold_mb, ours_scores = timed(
        lambda: ours.loglikelihood(requests, disable_tqdm=True)
    )  # scores all conditions
    single = NeuronLLM(pretrained=loaded, letter_merge=False)
    single.scorer.progress = False
    single_s, _, _ = timed(lambda: single.loglikelihood(requests, disable_tqdm=True))

    cache_dir = work / "prefix_cache"
    writer = NeuronLLM(pretrained=loaded, letter_merge=False, prefix_cache=str(cache_dir))
    writer.scorer.progress = False
    writer.loglikelihood(requests, disable_tqdm=True)
    reader = NeuronLLM(pretrained=loaded, letter_merge=False, prefix_cache=str(cache_dir))
    reader.scorer.progress = False
    disk_s, disk_mb, _ = timed(lambda: reader.loglikelihood(requests, disable_tqdm=True))
    disk_bytes = sum(p.stat().st_size for p in cache_dir.iterdir())
    # Warm = what each further condition costs, measured where the tree is read, not computed: one
    # condition vs all of them on the same cached tree (the difference of two cold runs drowns in the
    # tree's own time on a shared machine: it once came out negative).
    every = NeuronLLM(pretrained=loaded, letter_merge=False, prefix_cache=str(cache_dir))
    every.set_conditions([Condition()] + [Condition(p, "degrade", "both") for p in sets])
    every.scorer.progress = False
    every_s, _, _ = timed(lambda: every.loglikelihood(requests, disable_tqdm=True))
    warm_s = (every_s - disk_s) / max(1, args.conditions)
    warm_ratio = f"{hflm_s / warm_s:.1f}x" if warm_s > 0 else "within noise"
    max_diff = max(abs(a[0] - b[0]) for a, b in zip(hflm_scores, ours_scores))

    rows = [
        ["HFLM, batch 1 (lm-eval's default)", f"{hflm_s:.1f}", "1.0x", f"{hflm_mb:.0f}"],
        [f"HFLM, batch {args.hflm_batch}", f"{batched_s:.1f}", f"{hflm_s / batched_s:.1f}x", f"{batched_mb:.0f}"],
        [
            "neuronllm, cold (prefix tree + 1 condition)",
            f"{single_s:.1f}",
            f"{hflm_s / single_s:.1f}x",
            f"{cold_mb:.0f}",
        ],
        ["neuronllm, warm (each further condition)", f"{warm_s:.2f}", warm_ratio, "–"],
        ["neuronllm, prefix tree read from disk", f"{disk_s:.1f}", f"{hflm_s / disk_s:.1f}x", f"{disk_mb:.0f}"],
    ]
    table = tabulate(
        rows, headers=["scoring (same requests)", "seconds", "vs HFLM batch 1", "peak RSS +MiB"], tablefmt="github"
    )
    summary = (
        f"{model_label(args.model)}: {len(proxies)} proxy questions ({args.task}, {args.format}), "
        f"{len(requests)} requests; "
        f"{1 + args.conditions} conditions scored together in {cold_s:.1f} s; max |Δ log-likelihood| vs HFLM "
        f"= {max_diff:.2e}; prefix-tree files {disk_bytes / 2**20:.0f} MiB; torch threads "
        f"{os.environ.get('OMP_NUM_THREADS', 'default')}; load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after"
    )
    print(table)
    print(summary)
    (HERE / "results").mkdir(exist_ok=True)
    name = f"eval_speed_{model_slug(args.model)}_{args.task}_{args.format}_{args.instances}"
    (HERE / "results" / f"{name}.md").write_text(table + "\n\n" + summary + "\n")
    (HERE / "results" / f"{name}.json").write_text(
        json.dumps(
            {
                "model": model_label(args.model),
                "task": args.task,
                "format": args.format,
                "proxies": len(proxies),
                "requests": len(requests),
                "hflm_s": hflm_s,
                "hflm_batched_s": batched_s,
                "hflm_batch": args.hflm_batch,
                "cold_s": single_s,
                "warm_s_per_condition": warm_s,
                "all_conditions_s": cold_s,
                "conditions": 1 + args.conditions,
                "disk_s": disk_s,
                "disk_all_conditions_s": every_s,
                "load_average": [load_before, os.getloadavg()[0]],
                "max_abs_diff": max_diff,
                "peak_rss_mib": {
                    "hflm": hflm_mb,
                    "hflm_batched": batched_mb,
                    "cold_all_conditions": cold_mb,
                    "disk": disk_mb,
                },
                "prefix_cache_mib": disk_bytes / 2**20,
            },
            indent=2,
        )
        + "\n"
    )


if __name__ == "__main__":
    main()
