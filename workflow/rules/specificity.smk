"""The specificity matrix: each task's NeuronLLM sets (and the common set) on every AQUA task and on the
general tasks (tasks/general/: prose perplexity, short generation). `snakemake results/specificity.md`.
"""

GENERAL = PLAN.general_tasks


wildcard_constraints:
    evaluated="[A-Za-z0-9_]+",
    source="[A-Za-z0-9_]+",


def specificity_rule(evaluated, general):
    job = PLAN.specificity_job(evaluated, general)
    if not job.outputs:
        return

    rule:
        name:
            f"evaluate_specificity_{evaluated}"
        input:
            sets=lambda w: formatted(job.sets, w),
            task=(
                PLAN.general_task_inputs(evaluated)
                if general
                else PLAN.task_inputs(evaluated)
            ),
        output:
            job.outputs,
        log:
            f"{R}/logs/{{model}}/s{{seed}}/specificity/{evaluated}.log",
        benchmark:
            f"{R}/benchmarks/{{model}}/s{{seed}}/specificity/{evaluated}.tsv"
        conda:
            ENV
        threads: 1
        resources:
            **resources_of("evaluate"),
            gpu=1,
        params:
            options=(
                (
                    lambda w: model_tokens(w)
                    + ["--lm-eval-task", evaluated, "--local-tasks-only"]
                )
                if general
                else (lambda w: eval_tokens(SimpleWildcards(w, task=evaluated)))
            ),
            conditions=lambda w: formatted(job.conditions, w),
        shell:
            "OMP_NUM_THREADS={threads} neuronllm evaluate {params.options:q} --conditions {params.conditions:q} "
            "--outs {output:q} 2> {log:q}"


class SimpleWildcards:
    """A job's wildcards with the task set (the specificity jobs are named by their evaluated task)."""

    def __init__(self, wildcards, **extra):
        self._values = dict(wildcards.items()) | extra

    def __getattr__(self, name):
        return self._values[name]

    def items(self):
        return self._values.items()


for evaluated in TASKS:
    specificity_rule(evaluated, general=False)
for evaluated in GENERAL:
    specificity_rule(evaluated, general=True)
