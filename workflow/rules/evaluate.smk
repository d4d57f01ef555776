"""Evaluation through lm-eval, one job per (model, seed, task) and group of conditions: the conditions of
a job share the loaded model and one prefix tree, so each further condition costs one option pass.

    main         the original, every method's Deg/Enh at K, the null sets (Table 1)
    common       the common ability neurons (Table 5)
    ablation     Good/Bad/Both not already in main, and the nulls' bad side (the ablation)
    table7       the other budgets of Table 7's task
The specificity matrix (specificity.smk) and the transfer (transfer.smk) have their own evaluate rules.
Then metrics: effects, intervals, McNemar and the null band per (method, budget).
"""

from neuronllm.pipeline.plan import EVALUATE_GROUPS

# One rule per group (named as neuronllm.pipeline.plan.gpu_rules(), which the SLURM profile reads), the
# task a wildcard. The groups cannot share one rule: a rule's outputs are a fixed list of patterns, and
# each group evaluates a different list of conditions (docs/decisions.md, "Workflow").
JOBS = {group: getattr(PLAN, f"{group}_job")() for group in EVALUATE_GROUPS}


def evaluation_rule(group, job, task_constraint=None):
    """One evaluate rule for a group of conditions (outputs and condition specs from the plan)."""

    rule:
        name:
            f"evaluate_{group}"
        input:
            sets=lambda w: formatted(job.sets, w),
            task=lambda w: PLAN.task_inputs(w.task),
        output:
            job.outputs,
        log:
            f"{R}/logs/{{model}}/s{{seed}}/{{task}}/evaluate_{group}.log",
        benchmark:
            f"{R}/benchmarks/{{model}}/s{{seed}}/{{task}}/evaluate_{group}.tsv"
        wildcard_constraints:
            task=task_constraint or "[A-Za-z0-9_]+",
        conda:
            ENV
        threads: 1
        resources:
            **resources_of("evaluate"),
            gpu=1,
        params:
            options=eval_tokens,
            conditions=lambda w: formatted(job.conditions, w),
        shell:
            "OMP_NUM_THREADS={threads} neuronllm evaluate {params.options:q} --conditions {params.conditions:q} "
            "--outs {output:q} 2> {log:q}"


for group, job in JOBS.items():
    if job.outputs:
        evaluation_rule(group, job, TABLE7.get("task") if group == "table7" else None)


def metrics_info(wildcards):
    return json.dumps(
        {
            "model_label": model_label(wildcards.model),
            "method": wildcards.method,
            "budget": int(wildcards.budget),
            "steps": config["steps"],
            "instances": config["instances"],
        }
    )


def metrics_rule(name, ablation):

    rule:
        name:
            "metrics_ablation" if ablation else "metrics"
        input:
            unpack(
                lambda w: PLAN.metrics_inputs(
                    w.method, int(w.budget), ablation, w.model, w.seed, w.task
                )
            ),
        output:
            PLAN.metrics("{method}", "{budget}", name),
        log:
            f"{R}/logs/{{model}}/s{{seed}}/{{task}}/{{method}}/k{{budget}}/{name}.log",
        benchmark:
            f"{R}/benchmarks/{{model}}/s{{seed}}/{{task}}/{{method}}/k{{budget}}/{name}.tsv"
        wildcard_constraints:
            method=(
                "|".join(PLAN.ablation)
                if ablation
                else "|".join([*registry.METHOD_NAMES, "common"])
            ),
        conda:
            ENV
        resources:
            **resources_of("light"),
        params:
            info=metrics_info,
            resamples=str(config.get("bootstrap", 2000)),
        shell:
            "neuronllm metrics --original {input.original:q} --conditions {input.conditions:q} "
            "--null {input.null:q} --null-matched {input.null_matched:q} --info {params.info:q} --resamples {params.resamples:q} --out {output:q} 2> {log:q}"


metrics_rule("metrics", ablation=False)
metrics_rule("metrics_ablation", ablation=True)
