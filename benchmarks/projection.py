"""GPU-hours of config/paper.yaml, projected (not measured) from FLOP and byte counts.

    python benchmarks/projection.py [--gpu h100] [--config config/paper.yaml] [--prompt-tokens 300]

Per proxy prompt the cached IG engine runs the prefix once (2·P_layers·T FLOPs) and then, per chunk of
layer_batch layers, packed passes over the chunk's (m+1)·layer_batch groups through the layers from the
chunk's lowest up, forward and backward (inputs only: the weights are frozen, so the backward costs about
one forward) plus the LM head; every pass reads those layers' weights. An evaluation job builds the
prefix tree of its questions once and runs one option pass per condition (batch_tokens positions per
forward, every batch reading all the weights). Time = max(FLOPs / (peak × mfu), bytes / (bandwidth ×
bwu)) per pass; the efficiencies are assumptions stated in the output, the counts come from the model
config, the settings and the measured prompt and trie lengths. The same counts, at this machine's
measured rate, reproduce the CPU rehearsal's times (benchmarks/results/scale_*.md), which is how the
counts are checked; the GPU rates are not measured here.
Writes benchmarks/results/projection_{gpu}.{json,md}.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import yaml
from tabulate import tabulate

from neuronllm.model.memory import Dims, pass_tokens_of
from neuronllm.model.shapes import shape_config

HERE = Path(__file__).resolve().parent
GPUS = {  # dense bf16 peak FLOP/s, memory bandwidth B/s (vendor figures)
    "h100": {"name": "H100 SXM 80GB", "flops": 989e12, "bandwidth": 3.35e12},
    "a100": {"name": "A100 SXM 80GB", "flops": 312e12, "bandwidth": 2.0e12},
    "h200": {"name": "H200 141GB", "flops": 989e12, "bandwidth": 4.8e12},
}
MFU, BWU = 0.4, 0.7  # assumed fractions of peak compute and bandwidth reached
LAUNCH = 2e-4  # assumed seconds of kernel launches per layer per forward or backward (~40 kernels x 5 us)


def layer_parameters(d: Dims) -> int:
    return 2 * d.hidden * d.hidden + 2 * d.hidden * d.kv_heads * d.head_dim + 3 * d.hidden * d.d_ff


def identification_counts(
    config,
    prompt_tokens: int,
    trie_tokens: int,
    steps: int,
    layer_batch: int,
    pass_tokens: int = 512,
    bytes_per_weight: int = 2,
) -> list[tuple[float, float, int]]:
    """(FLOPs, weight bytes read, layers run) of every forward/backward of one proxy prompt's cached IG."""
    d = Dims.of(config)
    per_layer, head = layer_parameters(d), d.hidden * d.vocab
    out = [(2 * (per_layer * d.layers) * prompt_tokens, per_layer * d.layers * bytes_per_weight, d.layers)]  # prefix
    width = pass_tokens_of(trie_tokens, steps, layer_batch, pass_tokens)
    for start in range(0, d.layers, layer_batch):
        groups = min(layer_batch, d.layers - start) * (steps + 1)
        tokens_total = groups * trie_tokens
        depth = d.layers - start
        while tokens_total > 0:
            n = min(width, tokens_total)
            flops = 2 * n * (per_layer * depth + head)
            weights = (per_layer * depth + head) * bytes_per_weight
            out += [(flops, weights, depth), (flops, weights, depth)]  # forward, backward (input gradients only)
            tokens_total -= n
    return out


def evaluation_counts(
    config,
    questions: int,
    prompt_tokens: int,
    shared: float,
    trie_tokens: int,
    conditions: int,
    batch_tokens: int = 4096,
    bytes_per_weight: int = 2,
) -> list[tuple[float, float, int]]:
    d = Dims.of(config)
    weights = (layer_parameters(d) * d.layers + d.hidden * d.vocab) * bytes_per_weight
    tree_tokens = questions * prompt_tokens * shared
    tree_batches = max(1, int(tree_tokens // batch_tokens))
    out = [(2 * layer_parameters(d) * d.layers * tree_tokens, weights * tree_batches, d.layers * tree_batches)]
    rows = max(1, batch_tokens // (prompt_tokens + trie_tokens))
    batches = -(-questions // rows)
    out += [(2 * weights / bytes_per_weight * questions * trie_tokens / batches, weights, d.layers)] * (
        batches * conditions
    )
    return out


def seconds(counts: list[tuple[float, float, int]], flops: float, bandwidth: float, launch: float = LAUNCH) -> float:
    return sum(max(f / flops, b / bandwidth) + launch * layers for f, b, layers in counts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gpu", default="h100", choices=sorted(GPUS))
    parser.add_argument("--config", default=str(HERE.parent / "config" / "paper.yaml"))
    parser.add_argument(
        "--prompt-tokens",
        type=int,
        default=300,
        help="AQUA proxies: 140-230 with the embedded tokenizer; LLaMA's tokenizer splits more",
    )
    parser.add_argument("--text-trie", type=int, default=24, help="option-trie tokens of a text proxy")
    parser.add_argument("--shared", type=float, default=0.57, help="distinct share of prefix tokens (measured)")
    args = parser.parse_args()
    from neuronllm.pipeline.plan import Plan

    config = yaml.safe_load(open(args.config))
    plan = Plan(config)
    gpu = GPUS[args.gpu]
    flops, bandwidth = gpu["flops"] * MFU, gpu["bandwidth"] * BWU
    steps, layer_batch = int(config["steps"]), int(config["layer_batch"])
    seeds, tasks = len(config["seeds"]), len(config["tasks"])
    prompts = int(config["instances"]) * 3 * seeds * tasks  # three proxies per instance
    questions = int(config["eval_instances"]) * 3
    jobs = {
        "main": len(plan.main_job().conditions),
        "common": len(plan.common_job().conditions),
        "ablation": len(plan.ablation_job().conditions),
    }
    table7 = len(plan.table7_job().conditions)
    rows, record = [], {"gpu": gpu, "mfu": MFU, "bwu": BWU, "settings": vars(args), "models": {}}
    for name in config["models"]:
        shape = shape_config(name)
        per_prompt = {
            f: seconds(identification_counts(shape, args.prompt_tokens, trie, steps, layer_batch), flops, bandwidth)
            for f, trie in (("letter", 1), ("text", args.text_trie))
        }
        trie = 1 if config.get("answer_format") == "letter" else args.text_trie
        evaluation = sum(
            seconds(evaluation_counts(shape, questions, args.prompt_tokens, args.shared, trie, n), flops, bandwidth)
            * seeds
            * tasks
            for n in jobs.values()
        )
        evaluation += (
            seconds(
                evaluation_counts(shape, questions, args.prompt_tokens, args.shared, trie, table7), flops, bandwidth
            )
            * seeds
        )
        identify = per_prompt[config.get("answer_format", "text")] * prompts
        record["models"][name] = {
            "seconds_per_prompt": per_prompt,
            "identification_hours": identify / 3600,
            "evaluation_hours": evaluation / 3600,
            "prompts": prompts,
        }
        rows.append(
            [
                name,
                f"{per_prompt['letter']:.2f}",
                f"{per_prompt['text']:.2f}",
                prompts,
                f"{identify / 3600:.2f}",
                f"{evaluation / 3600:.2f}",
                f"{(identify + evaluation) / 3600:.2f}",
            ]
        )
    total = sum(m["identification_hours"] + m["evaluation_hours"] for m in record["models"].values())
    table = tabulate(
        rows,
        headers=[
            "model",
            "s / prompt (letter)",
            "s / prompt (text)",
            "prompts",
            "identification h",
            "evaluation h",
            "GPU-hours",
        ],
        tablefmt="github",
    )
    note = (
        f"**Projection, not a measurement**: {gpu['name']} at {MFU:.0%} of its bf16 peak ({gpu['flops'] / 1e12:.0f} "
        f"TFLOP/s) and {BWU:.0%} of its bandwidth ({gpu['bandwidth'] / 1e12:.2f} TB/s); {args.config}: m = {steps}, "
        f"layer_batch {layer_batch}, {prompts} proxy prompts per model, evaluation jobs of {questions} questions "
        f"({', '.join(f'{k} {v}' for k, v in jobs.items())}, table7 {table7} conditions); prompts of "
        f"{args.prompt_tokens} tokens, text tries of {args.text_trie}. Total **{total:.1f} GPU-hours** "
        f"(benchmarks/projection.py), with {LAUNCH * 1e3:.1f} ms of kernel launches per layer and pass; "
        f"Python overheads are not counted."
    )
    print(note + "\n\n" + table)
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / f"projection_{args.gpu}.md").write_text(note + "\n\n" + table + "\n")
    (HERE / "results" / f"projection_{args.gpu}.json").write_text(json.dumps(record, indent=1) + "\n")


if __name__ == "__main__":
    main()
