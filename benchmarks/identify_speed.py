"""Per-prompt identification cost of each method on the embedded model (cached IG engine).

    python benchmarks/identify_speed.py [--steps 8] [--prompts 2] [--format text] [--layer-batch 6]

For the first proxy prompts of each task (shipped data, seed 0), times what each method computes per
prompt: CNI = IG of the contrastive objective; KN and QRNCA = IG of the gold probability; both IG
objectives sharing each forward; TN = activation x gradient; ACT = activations; RANDOM computes
nothing. Then the pipeline's `attribute` job (every kind the six methods need for one prompt, in one
call: TN reads the IG pass's endpoint gradient and ACT its recorded activations) against the same
kinds computed separately (the shared IG row + TN + ACT), in the same run.
Writes benchmarks/results/identify_speed.{json,md}.
"""

from __future__ import annotations

import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import torch
from identification_args import TASKS, identification_parser  # benchmarks/ is on sys.path as a script
from subject import model_label, model_slug
from tabulate import tabulate

from neuronllm.attribution.ig import (
    activation_times_gradient,
    answer_activations,
    integrated_gradients_many,
    proxy_tokens,
)
from neuronllm.attribution.kinds import compute_attributions
from neuronllm.model.loading import load_model
from neuronllm.tasks.lm_eval_tasks import find_task, load_proxies

HERE = Path(__file__).resolve().parent


def main() -> None:
    args = identification_parser(__doc__.splitlines()[0]).parse_args()
    model = load_model(args.model)
    tokenizer = model.tokenizer
    every_kind = ["contrastive", "gold_prob", "grad_x_act", "activation"]
    measures = {
        "CNI (IG, contrastive)": lambda t: integrated_gradients_many(
            model, t, ["contrastive"], args.steps, layer_batch=args.layer_batch),
        "KN, QRNCA (IG, gold probability)": lambda t: integrated_gradients_many(
            model, t, ["gold_prob"], args.steps, layer_batch=args.layer_batch),
        "CNI + KN/QRNCA, shared forwards": lambda t: integrated_gradients_many(
            model, t, ["contrastive", "gold_prob"], args.steps, layer_batch=args.layer_batch),
        "TN (activation x gradient)": lambda t: activation_times_gradient(model, t, "gold_logprob"),
        "ACT (activations)": lambda t: answer_activations(model, t.prompt_ids),
    }  # fmt: skip
    job = "attribute job: every kind in one call"
    seconds: dict[str, dict[str, list[float]]] = {name: {} for name in measures}
    lengths = {}
    for task in TASKS:
        _, proxies = load_proxies(find_task(task, args.format), "identify", args.format, 0, args.prompts, None,
                                  "shipped")  # fmt: skip
        for proxy in proxies[: args.prompts]:
            tokens = proxy_tokens(tokenizer, proxy.prompt, list(proxy.options), proxy.gold, proxy.answer_format)
            lengths.setdefault(task, []).append(len(tokens.prompt_ids))
            measures["ACT (activations)"](tokens)  # warm-up
            for name, run in measures.items():
                start = time.perf_counter()
                run(tokens)
                seconds[name].setdefault(task, []).append(time.perf_counter() - start)
            start = time.perf_counter()
            compute_attributions(model, [proxy], every_kind, args.steps, args.layer_batch, progress=False)
            seconds.setdefault(job, {}).setdefault(task, []).append(time.perf_counter() - start)
    rows = [[name] + [f"{statistics.mean(seconds[name][task]):.2f}" for task in TASKS] for name in measures]
    rows.append(["RANDOM", *["0"] * len(TASKS)])
    separate = {
        task: statistics.mean(seconds["CNI + KN/QRNCA, shared forwards"][task])
        + statistics.mean(seconds["TN (activation x gradient)"][task])
        + statistics.mean(seconds["ACT (activations)"][task])
        for task in TASKS
    }
    together = {task: statistics.mean(seconds[job][task]) for task in TASKS}
    rows.append(["every kind, separately (shared IG + TN + ACT)", *[f"{separate[t]:.2f}" for t in TASKS]])
    rows.append([job, *[f"{together[t]:.2f} ({separate[t] / together[t]:.2f}x)" for t in TASKS]])
    headers = ["seconds per prompt"] + [f"{t} ({round(statistics.mean(lengths[t]))} tok)" for t in TASKS]
    table = tabulate(rows, headers=headers, tablefmt="github")
    note = (f"{model_label(args.model)}, fp32, {torch.get_num_threads()} thread(s), {args.format} answers, "
            f"m = {args.steps}, layer_batch {args.layer_batch}, all {len(model.neuron_counts)} layers, "
            f"mean of {args.prompts} prompts per task "
            f"(benchmarks/identify_speed.py, {time.strftime('%Y-%m-%d')}).")  # fmt: skip
    print(note + "\n\n" + table)
    (HERE / "results").mkdir(exist_ok=True)
    name = f"identify_speed_{model_slug(args.model)}"
    (HERE / "results" / f"{name}.md").write_text(note + "\n\n" + table + "\n")
    (HERE / "results" / f"{name}.json").write_text(
        json.dumps({"settings": vars(args), "prompt_tokens": lengths, "seconds": seconds}, indent=2) + "\n"
    )


if __name__ == "__main__":
    main()
