"""The transfer report (results/transfer.md): its own file, as Snakemake's linter wants rules and the
functions that make rules apart (workflow/rules/transfer.smk)."""


rule transfer_report:
    input:
        [
            path
            for model in MODELS[:1]
            for seed in SEEDS[:1]
            for path in TRANSFER.report_inputs(model, seed)
        ],
    output:
        md=report(
            f"{R}/transfer.md",
            caption=REPORTS["transfer"].caption_path,
            category=CATEGORY["md"],
        ),
        tex=f"{R}/transfer.tex",
        png=report(
            f"{R}/transfer.png",
            caption=REPORTS["transfer"].caption_path,
            category=CATEGORY["png"],
        ),
        pdf=f"{R}/transfer.pdf",
        csv=report(
            f"{R}/transfer.csv",
            caption=REPORTS["transfer"].caption_path,
            category=CATEGORY["csv"],
        ),
        sweep_csv=report(
            f"{R}/dose_response.csv",
            caption=EXTRA_CAPTIONS["dose_response"],
            category=CATEGORY["csv"],
        ),
        sweep=report(
            directory(f"{R}/dose_response"),
            patterns=["{task}.png"],
            caption=EXTRA_CAPTIONS["dose_response"],
            category=CATEGORY["png"],
        ),
    log:
        f"{R}/logs/transfer.log",
    benchmark:
        f"{R}/benchmarks/transfer.tsv"
    conda:
        ENV
    resources:
        **resources_of("light"),
    params:
        plan=TRANSFER_PLAN,
        resamples=str(config.get("bootstrap", 2000)),
    shell:
        "neuronllm report transfer --plan {params.plan:q} --resamples {params.resamples:q} --out {output.md:q} "
        "--latex {output.tex:q} --png {output.png:q} --pdf {output.pdf:q} --csv {output.csv:q} "
        "--sweep-csv {output.sweep_csv:q} --sweep-dir {output.sweep:q} 2> {log:q}"
