"""Naive vs prefix-cached integrated gradients (neuronllm/attribution/ig/) on an embedded model (--model).

    .venv/bin/python benchmarks/ig_speed.py [--prompts 2] [--steps 20] [--layers all] \
        [--engines naive,cached] [--formats letter,text] [--threads N]

For each of N realistic AQUA proxy prompts (~250-300 tokens; NER, CommonsenseQA, chunking) in both
answer formats (letter: " A"/"A" spellings of 4 letters; text: 4 multi-token option texts), every
engine computes IG with the contrastive (CNI) objective over the chosen layers. Each engine runs in
its own subprocess, which loads the model once; before every run the kernel's peak-RSS counter is
reset (/proc/self/clear_refs), so "peak RSS" is the high-water mark of that run (model included).
Compared against the first engine listed (the reference, naive by default): wall and CPU time
(time.process_time: on a shared machine the CPU-time ratio is the robust one, with --threads 1),
speed-ups, max |a - b| / max |b|, and the overlap of the top-100 / top-1000 neurons by |IG|.
Also reported: the completeness gap median_l |Σ_i IG_i - (F(ŵ) - F(0))| / |F(ŵ) - F(0)|.
Writes benchmarks/results/ig_speed.json and ig_speed.md (--name changes the stem). The naive engine
takes minutes per layer on a laptop CPU; --work-dir makes an interrupted benchmark resumable.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from peak_memory import Peak  # noqa: E402 - benchmarks/ is on sys.path when run as a script
from subject import add_model_argument, model_label  # noqa: E402

RULE = {
    "letter": (
        "When you are given a multiple-choice question, respond with the letter which corresponds to the correct "
        "answer, followed by a period. There is no need to provide an explanation, so your response should be very "
        "short."
    ),
    "text": (
        "When you are given a multiple-choice question, respond with the text of the correct answer. There is no "
        "need to provide an explanation, so your response should be very short."
    ),
}

# Three proxy QAs in the AQUA format (role, rule, one-shot example, question, options), one per task family.
INSTANCES = [
    {
        "task": "ner",
        "role": "You are an excellent linguist. Your task is to identify the entity type of a given word or phrase "
        "in a sentence (Person, Organization, Location, Product, Event, Art, Other, Building).",
        "example": "What is the entity type of 'Kong' in the following sentence:\n'Oknha Son Kuy had 5 close "
        "associates in arms : Phuchhuoy (or District Administrator) Kong, Mr.Meun Ek, Mr.Ta Mong, Mr.Tesa Saom "
        "(some called him Ansa Saom) and Mr.Ta Mono Ros.'",
        "example_options": ["a political party", "a government office", "a work of art", "a person's name"],
        "example_gold": 3,
        "question": "What is the entity type of 'Sandy Koufax' in the following sentence:\n'The Yankees easily "
        "reached the 1963 World Series when they won the pennant by 10.5 games, but they scored only four runs in "
        "the series and were swept by the Los Angeles Dodgers and their ace pitcher, Sandy Koufax.'",
        "options": ["a baseball team", "a consumer product", "a sporting event", "a baseball player"],
        "gold": 3,
    },
    {
        "task": "commonsense",
        "role": "You are a careful assistant with broad everyday knowledge. Your task is to answer questions that "
        "require commonsense reasoning about people, objects, places and the usual consequences of actions.",
        "example": "Where would you expect to find a pizzeria while shopping, if you were hungry after walking "
        "past dozens of clothing stores, a cinema and several shoe shops on a rainy Saturday afternoon?",
        "example_options": ["in a chicago suburb", "at a food court", "in a capital city", "on the little italy map"],
        "example_gold": 1,
        "question": "The man had worked for years to save his money, and after a string of burglaries in his "
        "neighbourhood he wanted to keep his savings safe from thieves. Where did he most likely put them, "
        "so that he could still get to them when he needed to pay for his daughter's wedding next spring?",
        "options": ["in a bank vault", "under the kitchen table", "inside his coat pocket", "on the front porch"],
        "gold": 0,
    },
    {
        "task": "chunking",
        "role": "You are an excellent linguist. Your task is to identify the syntactic phrase type (chunk) of a "
        "marked span of words in a sentence, such as a noun phrase, verb phrase, prepositional phrase, adjective "
        "phrase or adverb phrase.",
        "example": "What is the phrase type of 'the third quarter' in the following sentence:\n'Rockwell said the "
        "agreement calls for it to supply 200 additional so-called shipsets for the planes during the third "
        "quarter.'",
        "example_options": ["a verb phrase", "a noun phrase", "an adverb phrase", "a subordinate clause"],
        "example_gold": 1,
        "question": "What is the phrase type of 'has been rising' in the following sentence:\n'Confidence in the "
        "pound is widely expected to take another sharp dive if trade figures for September, due for release "
        "tomorrow, fail to show a substantial improvement from July and August's near-record deficits, while "
        "the dollar has been rising against most major currencies.'",
        "options": ["a noun phrase", "a verb phrase", "a prepositional phrase", "an adjective phrase"],
        "gold": 1,
    },
]
LETTERS = "ABCD"


def aqua_prompt(instance: dict, answer_format: str) -> str:
    """The five AQUA parts (docs/method.md §2), laid out like tasks/aqua/templates/prompt.jinja."""

    def listed(options: list[str]) -> str:
        return " ".join(f"{LETTERS[i]}. {text}" for i, text in enumerate(options))

    gold = instance["example_gold"]
    example_answer = LETTERS[gold] if answer_format == "letter" else instance["example_options"][gold]
    return (
        f"{instance['role']}\n{RULE[answer_format]}\n"
        f"Here is an example: {instance['example']}\nOptions:\n{listed(instance['example_options'])}\n"
        f"Correct answer: {example_answer}\n\n"
        f"Now here is the question: {instance['question']}\nOptions:\n{listed(instance['options'])}\n"
        "Correct answer:"
    )


def timed_ig(model, proxy, args: argparse.Namespace, layers: list[int]) -> tuple[dict, float, float, float | None]:
    """(saved tensors, wall s, CPU s, peak RSS MiB) of one integrated_gradients call."""
    from neuronllm.attribution.ig import integrated_gradients

    start_cpu = time.process_time()
    with Peak() as peak:
        result = integrated_gradients(model, proxy, "contrastive", steps=args.steps, layers=layers, engine=args.worker)
    cpu_seconds = time.process_time() - start_cpu
    saved = {"attributions": result.attributions, "f_full": result.f_full, "f_zero": result.f_zero}
    return saved, peak.seconds, cpu_seconds, peak.mib if peak.resettable else None


def worker(args: argparse.Namespace) -> None:
    """One engine, every (prompt, format): times, peaks and attributions into args.worker_dir.

    The naive engine runs (and is saved) one layer at a time, so that a long benchmark killed half-way
    resumes where it stopped; its time is the sum over layers (each call adds one no-grad prompt
    forward for n̂, under 1 % of a layer's 21 forwards and 20 backwards).
    """
    import torch

    from neuronllm.attribution.ig import proxy_tokens
    from neuronllm.model.loading import load_model, neuron_counts

    if args.threads:
        torch.set_num_threads(args.threads)
    model, tokenizer = load_model(args.model, device="cpu")
    all_layers = list(range(len(neuron_counts(model))))
    layers = all_layers if args.layers == "all" else [int(x) for x in args.layers.split(",")]
    out = Path(args.worker_dir)
    for answer_format in args.formats.split(","):  # all prompts of a format before the next format
        for p, instance in enumerate(INSTANCES[: args.prompts]):
            name = f"{p}-{answer_format}-{args.worker}"
            if (out / f"{name}.json").is_file():
                continue  # measured by an earlier, interrupted invocation with the same --work-dir
            prompt = aqua_prompt(instance, answer_format)
            proxy = proxy_tokens(tokenizer, prompt, instance["options"], instance["gold"], answer_format)
            if args.worker != "naive":
                saved, seconds, cpu_seconds, peak = timed_ig(model, proxy, args, layers)
            else:
                parts = []
                for layer in layers:
                    part_path = out / f"{name}.layer{layer}.pt"
                    if not part_path.is_file():
                        part, *measured = timed_ig(model, proxy, args, [layer])
                        torch.save({**part, "measured": measured}, str(part_path) + ".tmp")
                        Path(str(part_path) + ".tmp").rename(part_path)
                    parts.append(torch.load(part_path))
                saved = {key: torch.cat([part[key] for part in parts]) for key in ("attributions", "f_full", "f_zero")}
                seconds = sum(part["measured"][0] for part in parts)
                cpu_seconds = sum(part["measured"][1] for part in parts)
                peaks = [part["measured"][2] for part in parts if part["measured"][2] is not None]
                peak = max(peaks) if peaks else None
            torch.save(saved, out / f"{name}.pt")
            record = {
                "prompt": p,
                "task": instance["task"],
                "format": answer_format,
                "engine": args.worker,
                "prompt_tokens": len(proxy.prompt_ids),
                "option_tokens": [len(option[0]) for option in proxy.options],
                "seconds": seconds,
                "cpu_seconds": cpu_seconds,
                "peak_rss_mb": peak,
                "threads": torch.get_num_threads(),
            }
            (out / f"{name}.json.tmp").write_text(json.dumps(record))
            (out / f"{name}.json.tmp").rename(out / f"{name}.json")
            print(json.dumps(record), flush=True)


def compare(reference, candidate, top: int) -> float:
    """|top-k(|ref|) ∩ top-k(|cand|)| / k over all (layer, neuron) pairs."""
    import torch

    a = set(torch.topk(reference.abs().flatten(), top).indices.tolist())
    b = set(torch.topk(candidate.abs().flatten(), top).indices.tolist())
    return len(a & b) / top


def completeness_gap(saved: dict) -> float:
    import torch

    delta = saved["f_full"] - saved["f_zero"]
    keep = delta.abs() > 1e-3
    gaps = (saved["attributions"].sum(dim=1) - delta).abs() / delta.abs()
    return float(torch.median(gaps[keep])) if keep.any() else float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=int, default=2, help=f"number of prompts (1-{len(INSTANCES)})")
    parser.add_argument("--steps", type=int, default=20, help="m, Riemann steps")
    parser.add_argument("--layers", default="all", help="'all' or comma-separated layer indices")
    parser.add_argument("--engines", default="naive,cached", help="the first one is the reference")
    parser.add_argument("--formats", default="letter,text")
    parser.add_argument("--threads", type=int, default=0, help="torch threads per worker (0: torch's default)")
    parser.add_argument("--out", default=str(HERE / "results"), help="folder for the results")
    parser.add_argument("--name", default="ig_speed", help="results file stem: OUT/NAME.json and OUT/NAME.md")
    parser.add_argument(
        "--work-dir",
        help="keep each run's attributions here and skip runs already there (resume a long benchmark; "
        "use the same --steps/--layers/--threads); default: a temporary folder",
    )
    add_model_argument(parser)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--worker-dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not 1 <= args.prompts <= len(INSTANCES):
        parser.error(f"--prompts must be within 1..{len(INSTANCES)}")
    if args.worker:
        worker(args)
        return

    import torch
    from tabulate import tabulate

    engines = args.engines.split(",")
    load_before = os.getloadavg()
    runs: dict[tuple[int, str, str], dict] = {}
    saved: dict[tuple[int, str, str], dict] = {}
    with tempfile.TemporaryDirectory() as scratch:
        tmp = args.work_dir or scratch
        Path(tmp).mkdir(parents=True, exist_ok=True)
        for engine in engines[1:] + engines[:1]:  # the slow reference last: the others finish early
            wanted = [f"{p}-{f}-{engine}.json" for p in range(args.prompts) for f in args.formats.split(",")]
            if all((Path(tmp) / name).is_file() for name in wanted):
                continue
            command = [sys.executable, __file__, "--worker", engine, "--worker-dir", tmp]
            for flag in ("prompts", "steps", "layers", "formats", "threads", "model"):
                command += [f"--{flag}", str(getattr(args, flag))]
            subprocess.run(command, check=True, env={**os.environ, "HF_HUB_OFFLINE": "1"})
        for path in Path(tmp).glob("*.json"):
            record = json.loads(path.read_text())
            if record["engine"] not in engines or record["format"] not in args.formats.split(","):
                continue
            if record["prompt"] >= args.prompts:
                continue
            key = (record["prompt"], record["format"], record["engine"])
            runs[key] = record
            saved[key] = torch.load(path.with_suffix(".pt"))
    reference = engines[0]
    rows = []
    for (p, answer_format, engine), record in sorted(runs.items()):
        ref_run, ref = runs[(p, answer_format, reference)], saved[(p, answer_format, reference)]["attributions"]
        mine = saved[(p, answer_format, engine)]["attributions"]
        record.update(
            speedup=ref_run["seconds"] / record["seconds"],
            cpu_speedup=ref_run["cpu_seconds"] / record["cpu_seconds"],
            max_rel_error=float((mine - ref).abs().max() / ref.abs().max()),
            top100_overlap=compare(ref, mine, 100),
            top1000_overlap=compare(ref, mine, 1000),
            completeness_gap=completeness_gap(saved[(p, answer_format, engine)]),
        )
        rows.append(record)
    headers = ["prompt", "task", "format", "tokens", "engine", "wall s", "CPU s", "speed-up wall", "speed-up CPU",
               "peak RSS MiB", "max rel err", "top-100", "top-1000", "compl. gap"]  # fmt: skip
    table = [
        [r["prompt"], r["task"], r["format"], f"{r['prompt_tokens']}+{max(r['option_tokens'])}", r["engine"],
         f"{r['seconds']:.1f}", f"{r['cpu_seconds']:.1f}", f"{r['speedup']:.1f}x", f"{r['cpu_speedup']:.1f}x",
         f"{r['peak_rss_mb']:.0f}" if r["peak_rss_mb"] else "n/a",
         f"{r['max_rel_error']:.1e}", f"{r['top100_overlap']:.2f}", f"{r['top1000_overlap']:.3f}",
         f"{r['completeness_gap']:.1e}"]
        for r in rows
    ]  # fmt: skip
    settings = {
        "command": " ".join([Path(sys.executable).name, "benchmarks/ig_speed.py", *sys.argv[1:]]),
        "steps": args.steps,
        "layers": args.layers,
        "objective": "contrastive",
        "model": f"{model_label(args.model)} (fp32, CPU)",
        "torch": torch.__version__,
        "cpus": os.cpu_count(),
        "machine": platform.machine(),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "date": time.strftime("%Y-%m-%d %H:%M"),
    }
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{args.name}.json").write_text(json.dumps({"settings": settings, "runs": rows}, indent=2) + "\n")
    markdown = tabulate(table, headers=headers, tablefmt="github")
    note = (
        f"`{settings['command']}` — m = {args.steps}, layers {args.layers}, objective contrastive, "
        f"{settings['model']}, torch {settings['torch']}, {settings['cpus']} CPUs, "
        f"load average before/after {load_before[0]:.1f}/{settings['load_average_after'][0]:.1f}, {settings['date']}. "
        f"Speed-up and errors are relative to `{reference}`."
    )
    (out / f"{args.name}.md").write_text(f"{note}\n\n{markdown}\n")
    print(note)
    print(tabulate(table, headers=headers))


if __name__ == "__main__":
    main()
