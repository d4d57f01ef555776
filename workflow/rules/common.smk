"""Helpers shared by the rules: the plan (neuronllm/pipeline/plan.py) and the config as command-line tokens.

Every value that reaches a shell command is a param, quoted where it is used ({params.x:q}): paths
with spaces or semicolons stay one argument, and changing a config value reruns what depends on it.
"""

import json

from neuronllm import methods as registry
from neuronllm.pipeline.plan import Plan
from neuronllm.report.registry import CATEGORY, EXTRA_CAPTIONS, REPORTS

PLAN = Plan(config)
R = PLAN.R
MODELS, TASKS, METHODS, SEEDS = PLAN.models, PLAN.tasks, PLAN.methods, PLAN.seeds
BUDGET = PLAN.budget
TABLE7 = PLAN.table7
RESOURCES = config.get("resources", {})
ENV = "../envs/neuronllm.yaml"
CONFIG_NAME = ",".join(str(f) for f in workflow.configfiles) or "config/config.yaml"


def resources_of(kind):
    """mem_mb / runtime (minutes) of a kind of job (config `resources`), with the defaults below."""
    defaults = {
        "attribute": {"mem_mb": 4000, "runtime": 60},
        "evaluate": {"mem_mb": 4000, "runtime": 60},
        "light": {"mem_mb": 1000, "runtime": 10},
    }
    return defaults[kind] | RESOURCES.get(kind, {})


def model_spec(wildcards):
    return config["models"][wildcards.model]["spec"]


def model_label(model):
    entry = config["models"][model]
    return entry.get("label", entry["spec"])


def model_tokens(wildcards):
    args = config["models"][wildcards.model].get("model_args")
    return ["--model", model_spec(wildcards)] + (
        ["--model-args", json.dumps(args)] if args else []
    )


def data_value(task):
    data = config["data_files"]
    return json.dumps(data[task]) if isinstance(data, dict) else str(data)


def task_tokens(wildcards, task=None):
    """What identify and evaluate share: the same data, seed and format everywhere (`task`: the job's
    task where its wildcard has another name, as the specificity matrix's {evaluated}).
    """
    task = task or wildcards.task
    return model_tokens(wildcards) + [
        "--task",
        task,
        "--answer-format",
        config["answer_format"],
        "--seed",
        str(wildcards.seed),
        "--instances",
        str(config["instances"]),
        "--data-files",
        data_value(task),
    ]


def eval_tokens(wildcards, task=None):
    tokens = task_tokens(wildcards, task)
    if config.get("eval_instances"):
        tokens += ["--eval-instances", str(config["eval_instances"])]
    if config.get("prefix_cache"):
        tokens += ["--prefix-cache", f"{R}/{wildcards.model}/.prefix_cache"]
    return tokens


def specificity_tokens(wildcards):
    """evaluate's task options: a general task by its lm-eval name, an AQUA task like every evaluation."""
    if wildcards.evaluated in PLAN.general_tasks:
        return model_tokens(wildcards) + [
            "--lm-eval-task",
            wildcards.evaluated,
            "--local-tasks-only",
        ]
    return eval_tokens(wildcards, task=wildcards.evaluated)


def formatted(patterns, wildcards, **extra):
    """Plan patterns with this job's wildcards filled in."""
    values = dict(wildcards.items()) | extra
    return [p.format(**values) for p in patterns]


def attribution_kinds():
    """What the configured methods read (the method registry): computed in one job, no score twice."""
    methods = set(METHODS) | set(PLAN.ablation) | set(TABLE7.get("methods", []))
    kinds = registry.attribution_kinds(sorted(methods))
    if PLAN.matched and "activation" not in kinds:
        kinds.append("activation")  # the matched null reads activation magnitudes
    return kinds or ["activation"]


def contrast_tokens(wildcards):
    """identify's other-task attributions for a contrast method (the registry's `other_tasks`), else none."""
    files = PLAN.contrast_attributions(
        wildcards.method, wildcards.model, wildcards.seed, wildcards.task
    )
    return ["--contrast-attributions", *files] if files else []
