"""The stability report (results/stability.md): its own file, as Snakemake's linter wants rules apart
from the module-level objects of workflow/rules/stability.smk."""


rule stability_report:
    input:
        STABILITY.report_inputs(),
    output:
        md=report(
            f"{R}/stability.md",
            caption=REPORTS["stability"].caption_path,
            category=CATEGORY["md"],
        ),
        tex=f"{R}/stability.tex",
        png=f"{R}/stability.png",
        csv=f"{R}/stability.csv",
    log:
        f"{R}/logs/stability.log",
    benchmark:
        f"{R}/benchmarks/stability.tsv"
    conda:
        ENV
    resources:
        **resources_of("light"),
    params:
        plan=json.dumps(
            {
                k: config[k]
                for k in (
                    "results_dir",
                    "models",
                    "tasks",
                    "methods",
                    "budget",
                    "seeds",
                    "null_sets",
                    "answer_format",
                    "data_files",
                    "instances",
                    "steps",
                    "z",
                    "stability",
                )
                if k in config
            }
        ),
        resamples=str(config.get("bootstrap", 2000)),
    shell:
        "neuronllm report stability --plan {params.plan:q} --resamples {params.resamples:q} --out {output.md:q} "
        "--latex {output.tex:q} --png {output.png:q} --csv {output.csv:q} 2> {log:q}"
