"""Evaluation through lm-eval: the unmodified model once per task, then each method's interventions.

One job per (model, task, method, budget) and group of conditions: the conditions of a job share the
loaded model, and with `prefix_cache: true` every job shares the prompt-prefix KV caches on disk.
"""


def eval_options(wildcards):
    cache = f"--prefix-cache {R}/{wildcards.model}/.prefix_cache " if PREFIX_CACHE else ""
    return f"{task_options(wildcards)} --eval-instances {config['eval_instances']} {cache}"


rule evaluate_original:
    output:
        R + "/{model}/{task}/original/eval.json",
    params:
        options=eval_options,
    threads: 1
    resources:
        gpu=1,
    log:
        R + "/logs/{model}/{task}/original/evaluate.log",
    benchmark:
        R + "/benchmarks/{model}/{task}/original/evaluate.tsv"
    shell:
        "OMP_NUM_THREADS={threads} neuronllm evaluate {params.options} --out {output} 2> {log}"


def condition_outputs(conditions):
    return [f"{R}/{{model}}/{{task}}/{{method}}/k{{budget}}/{c}/eval.json" for c in conditions]


EVALUATE_SHELL = (
    "OMP_NUM_THREADS={threads} neuronllm evaluate-many {params.options} --neurons {input.neurons} "
    "--conditions {params.conditions} --outs {output} 2> {log}"
)

ONE_SIDED = [m for m in registry.METHOD_NAMES if m not in BOTH_SIDED]
ABLATION = list(registry.ablation_methods())
for group_name, method_pattern, conditions in (
    ("main_good_bad", "|".join(BOTH_SIDED), main_conditions("cni")),
    ("main_good", "|".join(ONE_SIDED), main_conditions("tn")),
    ("ablation_cni", "|".join(m for m in ABLATION if m in BOTH_SIDED),
     [c for c in ablation_conditions("cni") if c not in main_conditions("cni")]),
    ("ablation_baseline", "|".join(m for m in ABLATION if m not in BOTH_SIDED),
     [c for c in ablation_conditions("tn") if c not in main_conditions("tn")]),
):

    rule:
        name:
            f"evaluate_{group_name}"
        input:
            neurons=neuron_file,
            original=R + "/{model}/{task}/original/eval.json",  # orders jobs: the prefix cache fills once
        output:
            condition_outputs(conditions),
        wildcard_constraints:
            method=method_pattern,
        params:
            options=eval_options,
            conditions=" ".join(conditions),
        threads: 1
        resources:
            gpu=1,
        log:
            f"{R}/logs/{{model}}/{{task}}/{{method}}/k{{budget}}/evaluate_{group_name}.log",
        benchmark:
            f"{R}/benchmarks/{{model}}/{{task}}/{{method}}/k{{budget}}/evaluate_{group_name}.tsv"
        shell:
            EVALUATE_SHELL


def metrics_inputs(conditions_of):
    def inputs(wildcards):
        return {
            "original": f"{R}/{wildcards.model}/{wildcards.task}/original/eval.json",
            "conditions": [
                eval_path(wildcards.model, wildcards.task, wildcards.method, wildcards.budget, c)
                for c in conditions_of(wildcards.method)
            ],
        }

    return inputs


def metrics_info(wildcards):
    return shlex.quote(json.dumps({
        "model_label": model_label(wildcards.model),
        "method": wildcards.method,
        "budget": int(wildcards.budget),
        "steps": config["steps"],
        "instances": config["instances"],
    }))


rule metrics:
    input:
        unpack(metrics_inputs(main_conditions)),
    output:
        R + "/{model}/{task}/{method}/k{budget}/metrics.json",
    params:
        info=metrics_info,
    log:
        R + "/logs/{model}/{task}/{method}/k{budget}/metrics.log",
    benchmark:
        R + "/benchmarks/{model}/{task}/{method}/k{budget}/metrics.tsv"
    shell:
        "neuronllm metrics --original {input.original} --conditions {input.conditions} "
        "--info {params.info} --out {output} 2> {log}"


rule metrics_ablation:
    input:
        unpack(metrics_inputs(ablation_conditions)),
    output:
        R + "/{model}/{task}/{method}/k{budget}/metrics_ablation.json",
    wildcard_constraints:
        method="|".join(ABLATION),
    params:
        info=metrics_info,
    log:
        R + "/logs/{model}/{task}/{method}/k{budget}/metrics_ablation.log",
    benchmark:
        R + "/benchmarks/{model}/{task}/{method}/k{budget}/metrics_ablation.tsv"
    shell:
        "neuronllm metrics --original {input.original} --conditions {input.conditions} "
        "--info {params.info} --out {output} 2> {log}"
