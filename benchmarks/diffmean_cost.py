"""Per-prompt cost of DiffMean (forward only) against CNI (contrastive IG), in core-seconds.

    nice -n 10 python benchmarks/diffmean_cost.py [--steps 8] [--prompts 2] [--format text]

For the first identification proxies of each task (shipped data, seed 0) on the embedded model:
CNI's attribution (IG of the contrastive objective, m steps, forward and backward passes) against
DiffMean's (the answer-position activations, one forward). Core-seconds are the process's CPU time
(every thread's), so the numbers do not depend on how busy the machine is as much as wall time does.
DiffMean reads the activations of every task's proxies (this task's and the other tasks'), so one
identification costs (1 + other tasks) × proxies × its per-prompt cost when run alone; in the
pipeline it costs nothing extra (the attribute job records the activations in its IG pass).
Writes benchmarks/results/diffmean_cost.{json,md}.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import torch
from identification_args import TASKS, identification_parser  # benchmarks/ is on sys.path as a script
from subject import model_label
from tabulate import tabulate

from neuronllm.attribution.ig import answer_activations, integrated_gradients_many, proxy_tokens
from neuronllm.model.loading import load_model
from neuronllm.tasks.lm_eval_tasks import find_task, load_proxies

HERE = Path(__file__).resolve().parent


def timed(run: Callable[[], Any]) -> tuple[float, float]:
    """(wall seconds, core-seconds) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    run()
    return time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    args = identification_parser(__doc__.splitlines()[0]).parse_args()
    model = load_model(args.model)
    seconds: dict[str, dict[str, list[tuple[float, float]]]] = {"CNI": {}, "DiffMean": {}}
    for task in TASKS:
        _, proxies = load_proxies(
            find_task(task, args.format), "identify", args.format, 0, args.prompts, None, "shipped"
        )
        for proxy in proxies[: args.prompts]:
            tokens = proxy_tokens(model.tokenizer, proxy.prompt, list(proxy.options), proxy.gold, proxy.answer_format)
            answer_activations(model, tokens.prompt_ids)  # warm-up
            cni = timed(
                lambda t=tokens: integrated_gradients_many(
                    model, t, ["contrastive"], args.steps, layer_batch=args.layer_batch
                )
            )
            forward = timed(lambda t=tokens: answer_activations(model, t.prompt_ids))
            seconds["CNI"].setdefault(task, []).append(cni)
            seconds["DiffMean"].setdefault(task, []).append(forward)

    def mean(name: str, task: str, which: int) -> float:
        return statistics.mean(pair[which] for pair in seconds[name][task])

    rows = [
        [f"{name}, {unit}"] + [f"{mean(name, task, which):.2f}" for task in TASKS]
        for name in seconds
        for which, unit in ((1, "core-seconds"), (0, "wall seconds"))
    ]
    rows.append(
        ["CNI / DiffMean, core-seconds"] + [f"{mean('CNI', t, 1) / mean('DiffMean', t, 1):.0f}x" for t in TASKS]
    )
    table = tabulate(rows, headers=["per prompt", *TASKS], tablefmt="github")
    note = (
        f"{model_label(args.model)}, fp32, {torch.get_num_threads()} threads, {args.format} answers, m = {args.steps}, "
        f"layer_batch {args.layer_batch}, mean of {args.prompts} prompts per task, run under `nice` on a shared "
        f"machine (benchmarks/diffmean_cost.py, {time.strftime('%Y-%m-%d')})."
    )
    print(note + "\n\n" + table)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "diffmean_cost.md").write_text(note + "\n\n" + table + "\n")
    (HERE / "results" / "diffmean_cost.json").write_text(
        json.dumps({"settings": vars(args), "seconds": seconds}, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
