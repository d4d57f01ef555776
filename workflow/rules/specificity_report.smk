"""The specificity matrix's cells (metrics per source set x evaluated task) and its report."""


rule specificity_metrics:
    input:
        unpack(
            lambda w: PLAN.specificity_metrics_inputs(
                w.evaluated, w.source, w.model, w.seed
            )
        ),
    output:
        PLAN.specificity_metrics("{evaluated}", "{source}"),
    log:
        f"{R}/logs/{{model}}/s{{seed}}/specificity/{{evaluated}}/{{source}}/metrics.log",
    benchmark:
        f"{R}/benchmarks/{{model}}/s{{seed}}/specificity/{{evaluated}}/{{source}}/metrics.tsv"
    conda:
        ENV
    resources:
        **resources_of("light"),
    params:
        info=lambda w: json.dumps(
            {
                "model_label": model_label(w.model),
                "method": "common" if w.source == "common" else registry.PAPER_METHOD,
                "neurons_from": w.source,
                "budget": BUDGET,
                "steps": config["steps"],
                "instances": config["instances"],
            }
        ),
        resamples=str(config.get("bootstrap", 2000)),
    shell:
        "neuronllm metrics --original {input.original:q} --conditions {input.conditions:q} --info {params.info:q} "
        "--resamples {params.resamples:q} --out {output:q} 2> {log:q}"


rule specificity_report:
    input:
        [
            path
            for model in MODELS
            for seed in SEEDS[:1]
            for path in PLAN.specificity_cells(model, seed)
        ],
    output:
        md=report(
            f"{R}/specificity.md",
            caption=REPORTS["specificity"].caption_path,
            category=CATEGORY["md"],
        ),
        tex=f"{R}/specificity.tex",
        png=report(
            f"{R}/specificity.png",
            caption=REPORTS["specificity"].caption_path,
            category=CATEGORY["png"],
        ),
        pdf=f"{R}/specificity.pdf",
    log:
        f"{R}/logs/specificity.log",
    benchmark:
        f"{R}/benchmarks/specificity.tsv"
    conda:
        ENV
    params:
        config=CONFIG_NAME,
    shell:
        "neuronllm report specificity --metrics {input:q} --config {params.config:q} --out {output.md:q} "
        "--latex {output.tex:q} --png {output.png:q} --pdf {output.pdf:q} 2> {log:q}"
