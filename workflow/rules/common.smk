"""Helpers shared by the rules: the config turned into command-line options and file lists."""

import json
import shlex

from neuronllm import methods as registry

R = config.get("results_dir", "results")  # where every output goes (CI uses its own)
MODELS = list(config["models"])
TASKS = list(config["tasks"])
METHODS = list(config["methods"])
BUDGET = int(config["budget"])
TABLE7 = config.get("table7", {})
BOTH_SIDED = registry.both_sided()  # sets whose Table 1 conditions change good and bad neurons
PREFIX_CACHE = bool(config.get("prefix_cache", False))

wildcard_constraints:
    model="[A-Za-z0-9_.-]+",
    task="[A-Za-z0-9_]+",
    method="[a-z_]+",
    budget="[0-9]+",


def model_spec(wildcards):
    return config["models"][wildcards.model]["spec"]


def model_label(model):
    entry = config["models"][model]
    return entry.get("label", entry["spec"])


def data_option(task):
    data = config["data_files"]
    if isinstance(data, dict):
        return "--data-files " + shlex.quote(json.dumps(data[task]))
    return f"--data-files {data}"


def task_options(wildcards):
    """Options every identify/evaluate command shares: the same data, seed and format everywhere."""
    return (
        f"--model {shlex.quote(model_spec(wildcards))} --task {wildcards.task} "
        f"--answer-format {config['answer_format']} --seed {config['seed']} "
        f"--instances {config['instances']} {data_option(wildcards.task)}"
    )


def main_conditions(method):
    """Table 1 / Table 5: NeuronLLM and common neurons use good and bad; baselines only good (paper)."""
    part = registry.table1_part(method)
    return [f"degrade-{part}", f"enhance-{part}"]


def ablation_conditions(method):
    return [f"{op}-{part}" for op in ("degrade", "enhance") for part in ("good", "bad", "both")]


def eval_path(model, task, method, budget, condition):
    return f"{R}/{model}/{task}/{method}/k{budget}/{condition}/eval.json"
