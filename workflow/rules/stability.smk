"""Are the sets a property of the task? `snakemake results/stability.md` (not part of the main command):
attribution pools, the set comparisons and each set's Table 1 conditions, for the config's first model
and seed (neuronllm/pipeline/stability_plan.py says which file is which)."""

from neuronllm.pipeline.stability_plan import VARIANTS, StabilityPlan

STABILITY = StabilityPlan(PLAN)
STABILITY_JOB = STABILITY.evaluation_job()
STABILITY_KINDS = ",".join(
    registry.attribution_kinds(list(STABILITY.settings().methods)) or ["activation"]
)


rule stability_attribute:
    input:
        task=lambda w: PLAN.task_inputs(
            w.task, STABILITY.variant_options(w.variant)["answer_format"]
        ),
    output:
        STABILITY.attributions(),
    log:
        f"{R}/logs/{{model}}/s{{seed}}/stability/{{task}}/{{variant}}/attribute.log",
    benchmark:
        f"{R}/benchmarks/{{model}}/s{{seed}}/stability/{{task}}/{{variant}}/attribute.tsv"
    wildcard_constraints:
        variant="|".join(VARIANTS),
    conda:
        ENV
    threads: 1
    resources:
        **resources_of("attribute"),
        gpu=1,
    params:
        options=lambda w: model_tokens(w)
        + [
            "--task",
            w.task,
            "--answer-format",
            STABILITY.variant_options(w.variant)["answer_format"],
            "--seed",
            str(w.seed),
            "--instances",
            str(STABILITY.variant_options(w.variant)["instances"]),
            "--data-files",
            data_value(w.task),
            "--kinds",
            STABILITY_KINDS,
            "--steps",
            str(STABILITY.variant_options(w.variant)["steps"]),
            "--batch-size",
            str(config["layer_batch"]),
        ],
    shell:
        "OMP_NUM_THREADS={threads} neuronllm attribute {params.options:q} --out {output:q} 2> {log:q}"


rule stability_sets:
    input:
        lambda w: [
            STABILITY.attributions(variant, w.model, w.seed, task)
            for variant in STABILITY.variants()
            for task in STABILITY.tasks
        ],
    output:
        csv=STABILITY.sets_csv(),
        sets=STABILITY.set_outputs(),
    log:
        f"{R}/logs/{{model}}/s{{seed}}/stability/sets.log",
    benchmark:
        f"{R}/benchmarks/{{model}}/s{{seed}}/stability/sets.tsv"
    conda:
        ENV
    resources:
        **resources_of("light"),
    params:
        options=lambda w: [
            option
            for variant, flag in zip(
                VARIANTS, ("--pools", "--steps-pools", "--format-pools")
            )
            if variant in STABILITY.variants()
            for option in [flag]
            + [
                f"{task}={STABILITY.attributions(variant, w.model, w.seed, task)}"
                for task in STABILITY.tasks
            ]
        ]
        + [
            "--methods",
            ",".join(STABILITY.settings().methods),
            "--samples",
            str(STABILITY.settings().samples),
            "--instances",
            str(STABILITY.settings().instances),
            "--sizes",
            *[str(size) for size in STABILITY.settings().sizes],
            "--reference",
            str(STABILITY.settings().reference),
            "--compare-samples",
            str(STABILITY.settings().compare_samples),
            "--budget",
            str(BUDGET),
            "--z",
            str(config["z"]),
            "--seed",
            str(w.seed),
            "--model-label",
            w.model,
            "--versus-steps",
            STABILITY.versus()["steps"],
            "--versus-format",
            STABILITY.versus()["format"],
        ]
        + (
            ["--sets-dir", STABILITY.base(w.model, w.seed)]
            if STABILITY.set_outputs()
            else []
        ),
    shell:
        "neuronllm stability {params.options:q} --csv {output.csv:q} 2> {log:q}"


if STABILITY_JOB.outputs:

    rule evaluate_stability:
        input:
            sets=lambda w: formatted(STABILITY_JOB.sets, w),
            task=lambda w: PLAN.task_inputs(w.task),
        output:
            STABILITY_JOB.outputs,
        log:
            f"{R}/logs/{{model}}/s{{seed}}/stability/{{task}}/evaluate.log",
        benchmark:
            f"{R}/benchmarks/{{model}}/s{{seed}}/stability/{{task}}/evaluate.tsv"
        conda:
            ENV
        threads: 1
        resources:
            **resources_of("evaluate"),
            gpu=1,
        params:
            options=lambda w: eval_tokens(w),
            conditions=lambda w: formatted(STABILITY_JOB.conditions, w),
        shell:
            "OMP_NUM_THREADS={threads} neuronllm evaluate {params.options:q} --conditions {params.conditions:q} "
            "--outs {output:q} 2> {log:q}"
