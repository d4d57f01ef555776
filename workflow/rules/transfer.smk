"""Task or format? `snakemake results/transfer.md` (not part of the main command): every transfer method's
sets on the task posed natively and in the other answer format, and the dose-response sweep of
NeuronLLM's good and bad neurons (neuronllm/pipeline/transfer_plan.py says which job evaluates what)."""

from neuronllm.pipeline.transfer_plan import TransferPlan

TRANSFER = TransferPlan(PLAN)
TRANSFER_JOBS = TRANSFER.jobs()
# What the report needs of the config to find every file (the plan is rebuilt from it).
TRANSFER_PLAN = json.dumps({k: config[k] for k in ("results_dir", "models", "tasks", "methods", "budget", "seeds",
                                                   "null_sets", "answer_format", "data_files", "transfer") if k in config})


def transfer_tokens(wildcards, fmt):
    """evaluate's task options with this job's format (the sets were identified with the config's)."""
    tokens = eval_tokens(wildcards)
    return [fmt if previous == "--answer-format" else token for previous, token in zip([None, *tokens], tokens)]


def transfer_rule(fmt, job):
    rule:
        name:
            f"evaluate_transfer_{fmt}"
        input:
            sets=lambda w: formatted(job.sets, w),
            task=lambda w: PLAN.task_inputs(w.task, fmt),
        output:
            job.outputs,
        params:
            options=lambda w: transfer_tokens(w, fmt),
            conditions=lambda w: formatted(job.conditions, w),
        threads: 1
        resources:
            gpu=1,
            **resources_of("evaluate"),
        log:
            f"{R}/logs/{{model}}/s{{seed}}/{{task}}/evaluate_transfer_{fmt}.log",
        benchmark:
            f"{R}/benchmarks/{{model}}/s{{seed}}/{{task}}/evaluate_transfer_{fmt}.tsv"
        conda:
            ENV
        shell:
            "OMP_NUM_THREADS={threads} neuronllm evaluate {params.options:q} --conditions {params.conditions:q} "
            "--outs {output:q} 2> {log:q}"


for fmt, job in TRANSFER_JOBS.items():
    transfer_rule(fmt, job)


rule transfer_report:
    input:
        [path for model in MODELS[:1] for seed in SEEDS[:1] for path in TRANSFER.report_inputs(model, seed)],
    output:
        md=report(f"{R}/transfer.md", caption="../report/transfer.rst", category="Tables"),
        tex=f"{R}/transfer.tex",
        png=report(f"{R}/transfer.png", caption="../report/transfer.rst", category="Figures"),
        pdf=f"{R}/transfer.pdf",
        csv=report(f"{R}/transfer.csv", caption="../report/transfer.rst", category="Data"),
        sweep_csv=report(f"{R}/dose_response.csv", caption="../report/dose_response.rst", category="Data"),
        sweep=report(directory(f"{R}/dose_response"), patterns=["{task}.png"], caption="../report/dose_response.rst",
                     category="Figures"),
    params:
        plan=TRANSFER_PLAN,
        resamples=str(config.get("bootstrap", 2000)),
    resources:
        **resources_of("light"),
    log:
        f"{R}/logs/transfer.log",
    benchmark:
        f"{R}/benchmarks/transfer.tsv"
    conda:
        ENV
    shell:
        "neuronllm report transfer --plan {params.plan:q} --resamples {params.resamples:q} --out {output.md:q} "
        "--latex {output.tex:q} --png {output.png:q} --pdf {output.pdf:q} --csv {output.csv:q} "
        "--sweep-csv {output.sweep_csv:q} --sweep-dir {output.sweep:q} 2> {log:q}"
