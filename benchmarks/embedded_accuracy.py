"""The embedded model's accuracy and comprehension on the four AQUA tasks, in both answer formats, beside chance.

    python benchmarks/embedded_accuracy.py [--eval-instances N] [--formats letter,text]

Every evaluation instance of the shipped data by default (3 proxies each), seed 0, unmodified model.
"Chance" is a guesser that picks an option uniformly and independently per proxy:
acc = 1/options, comprehension = P(at least 2 of 3 right) = 3p²(1-p) + p³. The letter format also
reports how often the most frequent predicted letter was chosen: a model that always answers the same
letter gets exactly one of an instance's 3 rotated proxies right, so its comprehension is 0.
Writes benchmarks/results/embedded_accuracy.{json,md}; each (format, task) is kept under
benchmarks/results/embedded_accuracy/ so an interrupted run resumes.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

from tabulate import tabulate

from neuronllm.evaluation.evaluate import Condition, EvalSettings, evaluate
from neuronllm.model.loading import load_model

HERE = Path(__file__).resolve().parent
TASKS = ["ner", "chunking", "sentiment", "commonsense"]


def chance(options: int) -> tuple[float, float]:
    p = 1 / options
    return p, 3 * p * p * (1 - p) + p**3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval-instances", type=int, default=None, help="default: every evaluation instance")
    parser.add_argument("--formats", default="letter,text")
    args = parser.parse_args()
    parts = HERE / "results" / "embedded_accuracy"
    parts.mkdir(parents=True, exist_ok=True)
    loaded = load_model("embedded")
    rows, records = [], []
    for answer_format in args.formats.split(","):
        for task in TASKS:
            path = parts / f"{task}.{answer_format}.json"
            if not path.is_file():
                settings = EvalSettings(
                    task=task, answer_format=answer_format, eval_instances=args.eval_instances, data_files="shipped"
                )
                start = time.perf_counter()
                result = evaluate("embedded", settings, [Condition()], loaded=loaded)[0]
                result["seconds"] = time.perf_counter() - start
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(result))
                tmp.rename(path)
            result = json.loads(path.read_text())
            predictions = result["predictions"]
            options = len(predictions[0]["scores"])
            chance_acc, chance_com = chance(options)
            top_share = Counter(p["prediction"] for p in predictions).most_common(1)[0][1] / len(predictions)
            record = {
                "task": task,
                "format": answer_format,
                "instances": result["n_instances"],
                "proxies": result["n_proxies"],
                "options": options,
                "acc": result["acc"],
                "comprehension": result["comprehension"],
                "chance_acc": chance_acc,
                "chance_comprehension": chance_com,
                "most_frequent_prediction_share": top_share,
                "seconds": result["seconds"],
            }
            records.append(record)
            rows.append(
                [
                    task,
                    answer_format,
                    record["instances"],
                    f"{100 * record['acc']:.1f}",
                    f"{100 * chance_acc:.1f}",
                    f"{100 * record['comprehension']:.1f}",
                    f"{100 * chance_com:.1f}",
                    f"{100 * top_share:.0f}%",
                    f"{record['seconds']:.0f}",
                ]
            )
    headers = [
        "task",
        "format",
        "instances",
        "acc %",
        "chance acc %",
        "comprehension %",
        "chance com. %",
        "most frequent answer",
        "seconds",
    ]
    table = tabulate(rows, headers=headers, tablefmt="github")
    print(table)
    (HERE / "results" / "embedded_accuracy.json").write_text(json.dumps(records, indent=2) + "\n")
    (HERE / "results" / "embedded_accuracy.md").write_text(
        "Embedded SmolLM2-135M-Instruct, unmodified, shipped evaluation split, seed 0 "
        "(benchmarks/embedded_accuracy.py).\n\n" + table + "\n"
    )


if __name__ == "__main__":
    main()
