"""Identification: per-proxy scores once per (model, seed, task), shared by every method; each method's
set; the common ability neurons; the null sets."""


rule attribute:
    input:  # the task's YAML chain, templates and data files: editing one reruns this task's jobs only
        task=lambda w: PLAN.task_inputs(w.task),
    output:
        PLAN.attributions(),
    log:
        f"{R}/logs/{{model}}/s{{seed}}/{{task}}/attribute.log",
    benchmark:
        f"{R}/benchmarks/{{model}}/s{{seed}}/{{task}}/attribute.tsv"
    conda:
        ENV
    threads: 1  # every job one core: two jobs share this machine without leaving a core idle
    resources:
        **resources_of("attribute"),
        gpu=1,
    params:  # every value the command uses is a param: changing one in the config reruns the job
        options=lambda w: task_tokens(w)
        + [
            "--kinds",
            ",".join(attribution_kinds()),
            "--steps",
            str(config["steps"]),
            "--batch-size",
            str(config["layer_batch"]),
        ],
    shell:
        "OMP_NUM_THREADS={threads} neuronllm attribute {params.options:q} --out {output:q} 2> {log:q}"


rule identify:
    input:
        attributions=PLAN.attributions(),
        others=lambda w: PLAN.contrast_attributions(w.method, w.model, w.seed, w.task),  # contrast methods
        task=lambda w: PLAN.task_inputs(w.task),
    output:
        PLAN.neurons("{method}", "{budget}"),
    log:
        f"{R}/logs/{{model}}/s{{seed}}/{{task}}/{{method}}/k{{budget}}/identify.log",
    benchmark:
        f"{R}/benchmarks/{{model}}/s{{seed}}/{{task}}/{{method}}/k{{budget}}/identify.tsv"
    wildcard_constraints:
        method="|".join(registry.METHOD_NAMES),
    conda:
        ENV
    resources:
        **resources_of("light"),
    params:
        options=lambda w: task_tokens(w)
        + [
            "--method",
            w.method,
            "--budget",
            w.budget,
            "--steps",
            str(config["steps"]),
            "--z",
            str(config["z"]),
        ]
        + (["--require-bad"] if w.method in PLAN.ablation else [])
        + contrast_tokens(w),
    shell:
        "neuronllm identify {params.options:q} --attributions {input.attributions:q} --out {output:q} 2> {log:q}"


rule common:
    input:
        lambda w: [
            PLAN.neurons(registry.PAPER_METHOD, w.budget, w.model, w.seed, task)
            for task in TASKS
        ],
    output:
        PLAN.neurons("common", "{budget}"),
    log:
        f"{R}/logs/{{model}}/s{{seed}}/common/k{{budget}}/common.log",
    benchmark:
        f"{R}/benchmarks/{{model}}/s{{seed}}/common/k{{budget}}/common.tsv"
    conda:
        ENV
    resources:
        **resources_of("light"),
    shell:
        "neuronllm common --sets {input:q} --budget {wildcards.budget:q} --out {output:q} 2> {log:q}"


if PLAN.null_sets:

    rule null_sets:
        output:
            [PLAN.null(i, "{budget}") for i in range(PLAN.null_sets)],
        log:
            f"{R}/logs/{{model}}/null/k{{budget}}/null.log",
        benchmark:
            f"{R}/benchmarks/{{model}}/null/k{{budget}}/null.tsv"
        conda:
            ENV
        resources:
            **resources_of("light"),
        params:
            model=lambda w: model_tokens(w),
            indices=[str(i) for i in range(PLAN.null_sets)],
        shell:
            "neuronllm null {params.model:q} --budget {wildcards.budget:q} --indices {params.indices:q} "
            "--outs {output:q} 2> {log:q}"


if PLAN.matched and PLAN.null_sets:

    rule matched_null_sets:
        input:
            target=PLAN.neurons("{method}", BUDGET),
            attributions=PLAN.attributions(),
        output:
            [PLAN.matched_null("{method}", i) for i in range(PLAN.null_sets)],
        log:
            f"{R}/logs/{{model}}/s{{seed}}/{{task}}/matched/{{method}}/null.log",
        benchmark:
            f"{R}/benchmarks/{{model}}/s{{seed}}/{{task}}/matched/{{method}}/null.tsv"
        conda:
            ENV
        resources:
            **resources_of("light"),
        params:
            model=lambda w: model_tokens(w),
            indices=[str(i) for i in range(PLAN.null_sets)],
        shell:
            "neuronllm null {params.model:q} --matched-to {input.target:q} --attributions {input.attributions:q} "
            "--indices {params.indices:q} --outs {output:q} 2> {log:q}"
