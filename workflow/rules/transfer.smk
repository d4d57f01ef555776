"""Task or format? `snakemake results/transfer.md` (not part of the main command): every transfer method's
sets on the task posed natively and in the other answer format, and the dose-response sweep of
NeuronLLM's good and bad neurons (neuronllm/pipeline/transfer_plan.py says which job evaluates what).
"""

from neuronllm.pipeline.transfer_plan import TransferPlan, report_config

TRANSFER = TransferPlan(PLAN)
TRANSFER_JOBS = TRANSFER.jobs()
# What the report needs of the config to find every file (the plan is rebuilt from it).
TRANSFER_PLAN = json.dumps(report_config(config))


def transfer_tokens(wildcards, fmt):
    """evaluate's task options with this job's format (the sets were identified with the config's)."""
    tokens = eval_tokens(wildcards)
    return [
        fmt if previous == "--answer-format" else token
        for previous, token in zip([None, *tokens], tokens)
    ]


def transfer_rule(fmt, job):
    """One evaluate rule per answer format of the transfer (outputs and conditions from the transfer plan)."""

    rule:
        name:
            f"evaluate_transfer_{fmt}"
        input:
            sets=lambda w: formatted(job.sets, w),
            task=lambda w: PLAN.task_inputs(w.task, fmt),
        output:
            job.outputs,
        log:
            f"{R}/logs/{{model}}/s{{seed}}/{{task}}/evaluate_transfer_{fmt}.log",
        benchmark:
            f"{R}/benchmarks/{{model}}/s{{seed}}/{{task}}/evaluate_transfer_{fmt}.tsv"
        conda:
            ENV
        threads: 1
        resources:
            **resources_of("evaluate"),
            gpu=1,
        params:
            options=lambda w: transfer_tokens(w, fmt),
            conditions=lambda w: formatted(job.conditions, w),
        shell:
            "OMP_NUM_THREADS={threads} neuronllm evaluate {params.options:q} --conditions {params.conditions:q} "
            "--outs {output:q} 2> {log:q}"


for fmt, job in TRANSFER_JOBS.items():
    transfer_rule(fmt, job)
