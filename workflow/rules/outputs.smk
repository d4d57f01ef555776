"""The tidy CSV of every number (results/metrics.csv) and the layer figure."""


rule metrics_csv:
    input:
        sorted(set(metrics_files(METHODS))),
    output:
        report(
            f"{R}/metrics.csv",
            caption=REPORTS["csv"].caption_path,
            category=CATEGORY["csv"],
        ),
    log:
        f"{R}/logs/metrics_csv.log",
    benchmark:
        f"{R}/benchmarks/metrics_csv.tsv"
    conda:
        ENV
    shell:
        "neuronllm report csv --metrics {input:q} --out {output:q} 2> {log:q}"


rule layer_figure:
    input:
        [
            PLAN.neurons(registry.PAPER_METHOD, BUDGET, MODELS[0], SEEDS[0], task)
            for task in TASKS
        ],
    output:
        png=report(
            f"{R}/layers.png",
            caption=REPORTS["figure"].caption_path,
            category=CATEGORY["png"],
        ),
        pdf=f"{R}/layers.pdf",
    log:
        f"{R}/logs/layers.log",
    benchmark:
        f"{R}/benchmarks/layers.tsv"
    conda:
        ENV
    params:
        sets=[
            f"{task}={PLAN.neurons(registry.PAPER_METHOD, BUDGET, MODELS[0], SEEDS[0], task)}"
            for task in TASKS
        ],
    shell:
        "neuronllm report figure --neuron-sets {params.sets:q} --out {output.png:q} --pdf {output.pdf:q} 2> {log:q}"
