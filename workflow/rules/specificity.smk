"""The specificity matrix: each task's NeuronLLM sets (and the common set) on every AQUA task and on the
general tasks (tasks/general/: prose perplexity, short generation). `snakemake results/specificity.md`.

One rule for every evaluated task: the task is the {evaluated} wildcard and the outputs are the same
for every task (neuronllm/pipeline/plan.py `specificity_job`), so the SLURM profile routes it once.
"""

GENERAL = PLAN.general_tasks
SPECIFICITY = PLAN.specificity_job()


wildcard_constraints:
    evaluated="[A-Za-z0-9_]+",
    source="[A-Za-z0-9_]+",


rule evaluate_specificity:
    input:
        sets=lambda w: formatted(SPECIFICITY.sets, w),
        task=lambda w: PLAN.specificity_task_inputs(w.evaluated),
    output:
        SPECIFICITY.outputs,
    log:
        f"{R}/logs/{{model}}/s{{seed}}/specificity/{{evaluated}}.log",
    benchmark:
        f"{R}/benchmarks/{{model}}/s{{seed}}/specificity/{{evaluated}}.tsv"
    wildcard_constraints:
        evaluated="|".join([*TASKS, *GENERAL]) or "[A-Za-z0-9_]+",
    conda:
        ENV
    threads: 1
    resources:
        **resources_of("evaluate"),
        gpu=1,
    params:
        options=specificity_tokens,
        conditions=lambda w: formatted(SPECIFICITY.conditions, w),
    shell:
        "OMP_NUM_THREADS={threads} neuronllm evaluate {params.options:q} --conditions {params.conditions:q} "
        "--outs {output:q} 2> {log:q}"
