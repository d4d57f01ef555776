"""Paper scale, rehearsed: identification and evaluation at a real model shape (random weights).

    python benchmarks/scale_rehearsal.py --shape llama2-7b [--layers N] [--dtype bfloat16] [--device cpu]
        [--steps 20] [--layer-batch 4] [--formats letter,text] [--tasks ner,chunking,sentiment,commonsense]
        [--eval-questions 24] [--naive-layers 1] [--exactness-layers 0] [--name NAME] [--work DIR]
    python benchmarks/scale_rehearsal.py --render NAME      # rewrite the Markdown from the JSON only

Builds the shape (neuronllm/model/shapes.py) into a work directory, loads it through `load_model` like a user
model, and measures on real AQUA proxies (shipped data, seed 0), each step saved to
benchmarks/results/{NAME}.json as it completes (a rerun skips the steps already there):
  identify/{format}/{task}  the attribute job's IG (contrastive + gold_prob sharing every forward) of ONE
                            proxy prompt at full depth, every layer: seconds, peak RSS above the weights,
                            completeness error, the packed-pass layout;
  naive/{format}            the naive engine against the cached one on the top `--naive-layers` layers:
                            time ratio, max relative difference, completeness;
  evaluate/{format}         lm-eval's HFLM against the `neuronllm` model on the same loglikelihood
                            requests of `--eval-questions` proxy questions: time ratio, max |Δ log-lik|,
                            prefix-tree memory, peak RSS above the weights;
  exactness/{format}        (--exactness-layers K) the same shape truncated to K layers, built in fp32 and
                            loaded once in fp32 and once in `--dtype`: how far the dtype moves the top-100
                            good/bad sets (overlap) and the scores (Spearman), per task.
Peaks are the kernel's VmHWM, reset before each step (/proc/self/clear_refs), so they are exact, not
sampled; on CUDA the allocator's max_memory_allocated. Every timing records the thread count and the
load average of the (shared) machine. The memory model (neuronllm/model/memory.py) is compared with every
measured peak in the Markdown. The work directory's weights are deleted at the end unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

import torch
from peak_memory import Peak, current_mib, on_gpu  # benchmarks/ is on sys.path when run as a script

from neuronllm.model import memory
from neuronllm.model.shapes import build_shape

HERE = Path(__file__).resolve().parent
RESULTS = Path(os.environ.get("SCALE_RESULTS", HERE / "results"))
TASKS = ["ner", "chunking", "sentiment", "commonsense"]
KINDS = ["contrastive", "gold_prob"]  # the attribute job's IG objectives (TN and ACT read this pass)
TOP = 100


# -- measuring ------------------------------------------------------------------------------------------


def touch_weights(model) -> None:
    """Read every parameter once: safetensors weights are memory-mapped and become resident only when
    first used, which would otherwise count them into the first step's peak."""
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.sum()


# -- the steps --------------------------------------------------------------------------------------------


def proxies_of(task: str, answer_format: str, role: str, n: int):
    from neuronllm.tasks.lm_eval_tasks import find_task, load_proxies

    instances = (n, None) if role == "identify" else (None, n)
    _, proxies = load_proxies(find_task(task, answer_format), role, answer_format, 0, *instances, "shipped")
    return proxies


def tokens_of(loaded, proxy):
    from neuronllm.attribution.ig import proxy_tokens

    return proxy_tokens(loaded.tokenizer, proxy.prompt, list(proxy.options), proxy.gold, proxy.answer_format)


def identify_step(loaded, args, task: str, answer_format: str, weights_mib: float) -> dict:
    from neuronllm.attribution.ig import integrated_gradients_many

    proxy = proxies_of(task, answer_format, "identify", 1)[0]
    tokens = tokens_of(loaded, proxy)
    trie = tokens.continuations()
    with Peak(args.device) as peak:
        results = integrated_gradients_many(loaded, tokens, KINDS, steps=args.steps, layer_batch=args.layer_batch)
    completeness = {
        k: float(
            ((r.attributions.sum(1) - (r.f_full - r.f_zero)).abs() / (r.f_full - r.f_zero).abs().clamp_min(1e-6)).max()
        )
        for k, r in results.items()
    }
    return {
        **peak.record,
        "above_weights_mib": peak.mib - weights_mib,
        "prompt_tokens": len(tokens.prompt_ids),
        "trie_tokens": len(trie.tokens),
        "layers": len(loaded.layers),
        "steps": args.steps,
        "layer_batch": args.layer_batch,
        "completeness_max_rel": completeness,
        # per layer: ΣIG and ΔF = F(n̂) − F(0); a random model's ΔF is tiny, so relative errors mislead
        "completeness": {
            k: {"sum_ig": r.attributions.sum(1).tolist(), "delta_f": (r.f_full - r.f_zero).tolist()}
            for k, r in results.items()
        },
    }


def naive_step(loaded, args, answer_format: str, weights_mib: float) -> dict:
    from neuronllm.attribution.ig import integrated_gradients

    task = args.tasks[-1]
    tokens = tokens_of(loaded, proxies_of(task, answer_format, "identify", 1)[0])
    layers = list(range(len(loaded.layers) - args.naive_layers, len(loaded.layers)))
    out = {"task": task, "layers": layers, "prompt_tokens": len(tokens.prompt_ids), "steps": args.naive_steps}
    found = {}
    for engine in ("cached", "naive"):
        with Peak(args.device) as peak:
            found[engine] = integrated_gradients(
                loaded, tokens, "contrastive", args.naive_steps, layers, engine, args.layer_batch
            )
        r = found[engine]
        out[engine] = {
            **peak.record,
            "above_weights_mib": peak.mib - weights_mib,
            "completeness_abs": float((r.attributions.sum(1) - (r.f_full - r.f_zero)).abs().max()),
            "f_full": r.f_full.tolist(),
            "f_zero": r.f_zero.tolist(),
        }
    a, b = found["cached"].attributions, found["naive"].attributions
    out["max_rel_diff"] = float((a - b).abs().max() / b.abs().max().clamp_min(1e-30))
    out["top100_overlap"] = len(
        set(a.flatten().topk(TOP).indices.tolist()) & set(b.flatten().topk(TOP).indices.tolist())
    )
    out["time_ratio"] = out["naive"]["seconds"] / out["cached"]["seconds"]
    return out


def evaluate_step(loaded, args, answer_format: str, weights_mib: float) -> dict:
    from lm_eval.api.instance import Instance
    from lm_eval.models.huggingface import HFLM

    from neuronllm.evaluation.lm_eval_model import NeuronLLM
    from neuronllm.scoring.engine import Question
    from neuronllm.scoring.prefix_tree import PrefixTree

    n = args.eval_questions if answer_format == "letter" else args.text_eval_questions
    per_task = max(1, n // len(args.tasks))
    proxies = [p for task in args.tasks for p in proxies_of(task, answer_format, "evaluate", per_task)[:per_task]]
    requests = [
        Instance("loglikelihood", doc={}, arguments=(p.prompt, " " + c), idx=i)
        for i, (p, c) in enumerate((p, c) for p in proxies for c in p.choices)
    ]
    out = {"questions": len(proxies), "requests": len(requests), "hflm_batch": args.hflm_batch}
    hflm = HFLM(pretrained=loaded.model, tokenizer=loaded.tokenizer, batch_size=args.hflm_batch)
    with Peak(args.device) as peak:
        reference = hflm.loglikelihood(requests, disable_tqdm=True)
    out["hflm"] = {**peak.record, "above_weights_mib": peak.mib - weights_mib}
    ours = NeuronLLM(
        pretrained=loaded, letter_merge=False, kv_memory_mb=args.kv_memory_mb, batch_tokens=args.batch_tokens
    )
    ours.scorer.progress = False
    with Peak(args.device) as peak:
        scores = ours.loglikelihood(requests, disable_tqdm=True)
    out["neuronllm"] = {**peak.record, "above_weights_mib": peak.mib - weights_mib}
    out["max_abs_diff"] = max(abs(a[0] - b[0]) for a, b in zip(reference, scores))
    out["time_ratio"] = out["hflm"]["seconds"] / out["neuronllm"]["seconds"]
    tree = PrefixTree()
    contexts = []
    for p in proxies:
        context = hflm.tok_encode(p.prompt)
        contexts.append(len(context))
        tree.insert(context[:-1])
    out["prefix_tree_tokens"] = tree.size()
    out["prefix_tokens_total"] = sum(contexts)
    out["prefix_tree_mib"] = tree.size() * memory.kv_bytes_per_token(loaded.model.config, loaded.dtype) / 2**20
    out["kv_memory_mb"], out["batch_tokens"] = ours.scorer.kv_memory_mb, ours.scorer.batch_tokens
    out["longest_context"] = max(contexts)
    out["widest_trie"] = max(
        len(Question(hflm.tok_encode(p.prompt), [[hflm.tok_encode(" " + c)] for c in p.choices]).continuations().tokens)
        for p in proxies
    )
    del hflm, ours
    return out


def exactness_step(args, answer_format: str, work: Path) -> dict:
    """fp32 against `--dtype` on the same K-layer weights: overlap of top-100 good/bad and Spearman, per task."""
    from scipy.stats import spearmanr

    from neuronllm.attribution.ig import integrated_gradients
    from neuronllm.model.loading import load_model

    directory = work / f"{args.shape}-{args.exactness_layers}L-float32"
    build = build_shape(args.shape, directory, "float32", args.exactness_layers, args.seed)
    scores = {}
    for dtype in ("float32", args.dtype):
        loaded = load_model(str(directory), dtype=dtype, device=args.device)
        scores[dtype] = {
            task: integrated_gradients(
                loaded,
                tokens_of(loaded, proxies_of(task, answer_format, "identify", 1)[0]),
                "contrastive",
                args.steps,
                layer_batch=args.layer_batch,
            ).attributions.flatten()
            for task in args.tasks
        }
        del loaded
    out = {"layers": args.exactness_layers, "build_seconds": build.seconds, "per_task": {}}
    for task in args.tasks:
        a, b = scores["float32"][task], scores[args.dtype][task]
        good = len(set(a.topk(TOP).indices.tolist()) & set(b.topk(TOP).indices.tolist()))
        bad = len(set((-a).topk(TOP).indices.tolist()) & set((-b).topk(TOP).indices.tolist()))
        out["per_task"][task] = {
            "good_overlap": good,
            "bad_overlap": bad,
            "spearman": float(spearmanr(a.numpy(), b.numpy()).statistic),
            "max_rel_diff": float((a - b).abs().max() / a.abs().max()),
        }
    shutil.rmtree(directory, ignore_errors=True)
    return out


# -- driving ----------------------------------------------------------------------------------------------


def save(path: Path, data: dict) -> None:
    """Merge this process's steps into the file (several processes may fill one rehearsal) and replace it."""
    import fcntl

    with open(Path(tempfile.gettempdir()) / f"{path.name}.lock", "w") as lock:  # not beside the results
        fcntl.flock(lock, fcntl.LOCK_EX)
        if path.is_file():
            on_disk = json.loads(path.read_text())
            merged = {**on_disk.get("steps", {}), **data["steps"]}
            data["steps"].clear()  # in place: run() keeps a reference to this dict
            data["steps"].update(merged)
        tmp = path.with_suffix(f".json.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1) + "\n")
        tmp.replace(path)


def run(args) -> Path:
    from neuronllm.model.loading import load_model, resolve_model_path

    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{args.name}.json"
    data = json.loads(path.read_text()) if path.is_file() else {}
    data["settings"] = {k: v for k, v in vars(args).items() if k not in ("render", "only", "only_tasks")}
    data["machine"] = {
        "cpus": os.cpu_count(),
        "torch": torch.__version__,
        "device": args.device,
        "cuda": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
        if on_gpu(args.device)
        else None,
    }
    steps = data.setdefault("steps", {})
    torch.set_num_threads(args.threads or torch.get_num_threads())
    work = Path(args.work or tempfile.mkdtemp(prefix="scale-rehearsal-"))
    directory = work / f"{args.shape}-{args.layers or 'full'}L-{args.dtype}"
    todo = [f"identify/{f}/{t}" for f in args.formats for t in (args.text_tasks if f == "text" else args.tasks)]
    todo += [f"naive/{f}" for f in args.formats if args.naive_layers]
    todo += [f"evaluate/{f}" for f in args.formats if args.eval_questions]
    if args.only:
        todo = [
            step
            for step in todo
            if step.split("/")[0] in args.only
            and (step.split("/")[0] != "identify" or step.split("/")[2] in args.only_tasks)
        ]
        args.exactness_layers = args.exactness_layers if "exactness" in args.only else 0
    order = []
    for f in args.formats:  # one format at a time, letter first; each kind of step once before the rest
        identify = [s for s in todo if s.split("/")[1] == f and s.startswith("identify")]
        order += (
            identify[:1] + [s for s in todo if s.split("/")[1] == f and not s.startswith("identify")] + identify[1:]
        )
    try:
        if any(s not in steps for s in order):
            if args.model:  # a real model instead of a built shape (the 135M embedded one)
                directory = Path(resolve_model_path(args.model))
                steps["build"] = {"shape": args.model, "layers": None, "full_layers": None}
            else:
                with Peak(args.device) as peak:
                    report = build_shape(args.shape, directory, args.dtype, args.layers, args.seed)
                steps["build"] = {**report.as_dict(), "wall_seconds": peak.seconds}
            before = current_mib(args.device)
            with Peak(args.device) as peak:
                loaded = load_model(str(directory), dtype=args.dtype, device=args.device)
                touch_weights(loaded.model)
            weights_mib = current_mib(args.device)
            steps["load"] = {
                **peak.record,
                "weights_mib": weights_mib,
                "before_mib": before,
                "config": loaded.model.config.to_diff_dict(),
            }
            save(path, data)
            for step in order:
                if step in steps:
                    continue
                kind, answer_format, *rest = step.split("/")
                print(f"[{time.strftime('%H:%M:%S')}] {step}", flush=True)
                if kind == "identify":
                    steps[step] = identify_step(loaded, args, rest[0], answer_format, weights_mib)
                elif kind == "naive":
                    steps[step] = naive_step(loaded, args, answer_format, weights_mib)
                else:
                    steps[step] = evaluate_step(loaded, args, answer_format, weights_mib)
                save(path, data)
            del loaded
            import gc

            gc.collect()
        if not args.keep and not args.model:
            shutil.rmtree(directory, ignore_errors=True)
        if args.exactness_layers:
            for f in args.formats:
                if f"exactness/{f}" not in steps:
                    print(f"[{time.strftime('%H:%M:%S')}] exactness/{f}", flush=True)
                    steps[f"exactness/{f}"] = exactness_step(args, f, work)
                    save(path, data)
    finally:
        if not args.keep and not args.work:
            shutil.rmtree(work, ignore_errors=True)
    save(path, data)
    return path


def predictions(data: dict, step: str) -> list[tuple[float, float, object]]:
    """(measured total MiB, predicted total MiB, Prediction) of a step that the memory model covers."""
    s, steps = data["settings"], data["steps"]
    load, r = steps.get("load") or {}, steps[step]
    if "config" not in load or not step.startswith(("identify/", "evaluate/")):
        return []
    config, weights = memory.config_from_dict(load["config"]), load["weights_mib"]
    if step.startswith("identify/"):
        predicted = memory.identification_peak(
            config,
            r["prompt_tokens"],
            r["trie_tokens"],
            r["steps"],
            r["layer_batch"],
            dtype=s["dtype"],
            device=s["device"],
        )
        measured = r.get("increment_mib", r["above_weights_mib"])
    else:
        widest = r.get("widest_trie", 1 if step.endswith("letter") else 32)
        predicted = memory.evaluation_peak(
            config,
            r["prefix_tree_tokens"],
            r["longest_context"],
            r["batch_tokens"],
            r["kv_memory_mb"],
            s["dtype"],
            widest,
            s["device"],
        )
        measured = r["neuronllm"].get("increment_mib", r["neuronllm"]["above_weights_mib"])
    return [(measured + weights, predicted.total_mib(weights), predicted)]


def predicted_total(data: dict, step: str) -> list[tuple[float, float]]:
    return [(measured, predicted) for measured, predicted, _ in predictions(data, step)]


def render(name: str) -> str:
    """The Markdown of a results JSON, with the memory model's prediction beside every measured peak."""
    from tabulate import tabulate

    data = json.loads((RESULTS / f"{name}.json").read_text())
    s, steps = data["settings"], data["steps"]
    build, load = steps.get("build", {}), steps.get("load", {})
    lines = [
        f"# Scale rehearsal: {s['shape']} shape, {build.get('layers')} of {build.get('full_layers')} layers, "
        f"{s['dtype']}, {s['device']}",
        "",
        f"Random weights (seed {s['seed']}), the embedded tokenizer: vocabulary {build.get('vocab_size')} instead of "
        f"{build.get('shape_vocab_size')} ({build.get('vocab_parameter_difference', 0) / 1e6:+.1f} M embedding + head "
        f"parameters; {build.get('parameters', 0) / 1e9:.2f} B in all). Built in {build.get('seconds', 0):.0f} s, "
        f"loaded through `load_model` in {load.get('seconds', 0):.0f} s; weights resident "
        f"{load.get('weights_mib', 0):.0f} MiB. "
        f"m = {s['steps']}, layer_batch {s['layer_batch']}, {data['machine']['cpus']} CPUs "
        f"({data['machine']['device']}). The machine is shared with other jobs: each timing lists the torch "
        "threads and the 1-minute load average at its start and end.",
        "",
    ]
    rows = []
    for step, r in steps.items():
        if not step.startswith("identify/"):
            continue
        _, f, task = step.split("/")
        rows.append(
            [
                f,
                task,
                r["prompt_tokens"],
                r["trie_tokens"],
                f"{r['seconds']:.1f}",
                f"{r.get('increment_mib', r['above_weights_mib']):.0f}",
                *_prediction(data, step),
                f"{max(r['completeness_max_rel'].values()):.1e}",
                f"{r['threads']} / {r['loadavg_start']:.1f}–{r['loadavg_end']:.1f}",
            ]
        )
    if rows:
        lines += [
            "## Identification: one proxy prompt, every layer (IG, contrastive + gold_prob sharing each forward)",
            "",
            tabulate(
                rows,
                headers=[
                    "format",
                    "task",
                    "prompt tok",
                    "trie tok",
                    "s / prompt",
                    "peak above start MiB",
                    "predicted MiB",
                    "error",
                    "peak total MiB",
                    "predicted total",
                    "error (total)",
                    "completeness (max rel)",
                    "threads / load",
                ],
                tablefmt="github",
            ),
            "",
            "Peak above start: the step's VmHWM minus its starting RSS (total: resident after load + that). "
            "Completeness is the worst layer's |ΣIG − ΔF| / |ΔF|: on random weights a layer's ΔF can be ~0, so "
            "large values there say nothing; benchmarks/gpu_check.py judges Σ_l |ΣIG_l − ΔF_l| / Σ_l |ΔF_l|.",
            "",
        ]
    for step, r in steps.items():
        if step.startswith("naive/"):
            lines += [
                f"## Naive vs cached engine ({step.split('/')[1]}, {r['task']}, layers {r['layers']}, m = "
                f"{r.get('steps', s['steps'])})",
                "",
                f"naive {r['naive']['seconds']:.1f} s, cached {r['cached']['seconds']:.1f} s: "
                f"**{r['time_ratio']:.1f}×**; "
                f"max relative difference {r['max_rel_diff']:.1e}; top-100 overlap {r['top100_overlap']}/100; "
                f"completeness |ΣIG − ΔF| naive {r['naive']['completeness_abs']:.1e}, cached "
                f"{r['cached']['completeness_abs']:.1e}; "
                f"peak above weights naive {r['naive']['above_weights_mib']:.0f} MiB, cached "
                f"{r['cached']['above_weights_mib']:.0f} MiB "
                f"(threads {r['naive']['threads']}, load {r['naive']['loadavg_start']:.1f}).",
                "",
            ]
    for step, r in steps.items():
        if step.startswith("evaluate/"):
            ours = r["neuronllm"]
            lines += [
                f"## Evaluation ({step.split('/')[1]}): {r['questions']} questions, {r['requests']} requests",
                "",
                tabulate(
                    [
                        [
                            "HFLM, batch " + str(r["hflm_batch"]),
                            f"{r['hflm']['seconds']:.1f}",
                            "1.0×",
                            f"{r['hflm'].get('increment_mib', r['hflm']['above_weights_mib']):.0f}",
                            "–",
                            "–",
                            "–",
                            "–",
                            "–",
                            f"{r['hflm']['threads']} / {r['hflm']['loadavg_start']:.1f}",
                        ],
                        [
                            "neuronllm",
                            f"{ours['seconds']:.1f}",
                            f"{r['time_ratio']:.1f}×",
                            f"{ours.get('increment_mib', ours['above_weights_mib']):.0f}",
                            *_prediction(data, step),
                            f"{ours['threads']} / {ours['loadavg_start']:.1f}",
                        ],
                    ],
                    headers=[
                        "scoring",
                        "seconds",
                        "speed-up",
                        "peak above start MiB",
                        "predicted MiB",
                        "error",
                        "peak total MiB",
                        "predicted total",
                        "error (total)",
                        "threads / load",
                    ],
                    tablefmt="github",
                ),
                "",
                f"max |Δ log-likelihood| vs HFLM {r['max_abs_diff']:.2e}; prefix tree {r['prefix_tree_tokens']} tokens "
                f"of {r['prefix_tokens_total']} ({r['prefix_tree_mib']:.0f} MiB of keys/values); kv_memory_mb "
                f"{r['kv_memory_mb']:.0f}, batch_tokens {r['batch_tokens']}.",
                "",
            ]
    for step, r in steps.items():
        if step.startswith("exactness/"):
            rows = [
                [
                    t,
                    f"{v['good_overlap']}/100",
                    f"{v['bad_overlap']}/100",
                    f"{v['spearman']:.4f}",
                    f"{v['max_rel_diff']:.1e}",
                ]
                for t, v in r["per_task"].items()
            ]
            lines += [
                f"## {s['dtype']} against float32, same weights ({step.split('/')[1]}, {r['layers']} layers, CNI "
                "scores)",
                "",
                tabulate(
                    rows,
                    headers=["task", "top-100 good overlap", "top-100 bad overlap", "Spearman", "max rel diff"],
                    tablefmt="github",
                ),
                "",
            ]
    text = "\n".join(lines)
    (RESULTS / f"{name}.md").write_text(text)
    return text


def _prediction(data: dict, step: str) -> list[str]:
    """Predicted above-weights MiB and its error, measured and predicted totals and that error."""
    found = predictions(data, step)
    if not found:
        return ["–"] * 5
    measured, predicted, prediction = found[0]
    above = measured - data["steps"]["load"]["weights_mib"]
    return [
        f"{prediction.above_weights_mib:.0f}",
        f"{100 * (prediction.above_weights_mib - above) / max(above, 1):+.0f}%",
        f"{measured:.0f}",
        f"{predicted:.0f}",
        f"{100 * (predicted - measured) / measured:+.1f}%",
    ]


def main() -> None:
    if "MALLOC_MMAP_THRESHOLD_" not in os.environ:  # big tensors freed back to the OS: RSS peaks mean what they say
        os.environ["MALLOC_MMAP_THRESHOLD_"] = str(1 << 20)
        os.execv(sys.executable, [sys.executable, *sys.argv])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="llama2-7b")
    parser.add_argument("--model", default=None, help="measure this model spec instead of building a shape")
    parser.add_argument("--layers", type=int, default=None, help="truncate the depth (default: the shape's)")
    parser.add_argument("--dtype", default="bfloat16")
    parser.add_argument(
        "--device",
        default="cuda" if torch.cuda.is_available() else "cpu",
        help="cpu, cuda, or auto (every GPU: the model sharded with parallelize)",
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--layer-batch", type=int, default=4, help="config/paper.yaml's layer_batch")
    parser.add_argument("--formats", type=lambda v: v.split(","), default=["letter", "text"])
    parser.add_argument("--tasks", type=lambda v: v.split(","), default=TASKS)
    parser.add_argument("--eval-questions", type=int, default=24)
    parser.add_argument("--text-eval-questions", type=int, default=8, help="text: 4 HFLM rows per question")
    parser.add_argument("--hflm-batch", type=int, default=8)
    parser.add_argument("--kv-memory-mb", type=float, default=None)
    parser.add_argument("--batch-tokens", type=int, default=4096)
    parser.add_argument("--naive-layers", type=int, default=1)
    parser.add_argument("--naive-steps", type=int, default=4, help="m of the naive/cached comparison (cost ∝ m)")
    parser.add_argument("--text-tasks", type=lambda v: v.split(","), default=None, help="default: --tasks")
    parser.add_argument("--exactness-layers", type=int, default=0)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument(
        "--only",
        type=lambda v: v.split(","),
        default=None,
        help="run only these kinds of step (identify,naive,evaluate,exactness): several processes "
        "can fill one rehearsal, sharing the memory-mapped weights",
    )
    parser.add_argument("--only-tasks", type=lambda v: v.split(","), default=TASKS, help="with --only identify")
    parser.add_argument("--name", default=None)
    parser.add_argument("--work", default=None, help="where the weights go (default: a temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the built weights")
    parser.add_argument("--render", metavar="NAME", help="only rewrite NAME.md from NAME.json")
    args = parser.parse_args()
    if args.render:
        print(render(args.render))
        return
    args.text_tasks = args.text_tasks or args.tasks
    if args.model:
        args.shape = args.model
    args.name = args.name or f"scale_{args.shape}_{args.layers or 'full'}L_{args.dtype}_{args.device.split(':')[0]}"
    run(args)
    print(render(args.name))


if __name__ == "__main__":
    main()
