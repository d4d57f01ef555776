"""The paper's tables (Markdown + LaTeX), the tidy CSV, the layer figure and the specificity matrix.

`report:` marks the files of `snakemake --report report.html`; captions live in workflow/report/.
"""

localrules:
    table1,
    table5,
    ablation,
    table7,
    metrics_csv,
    layer_figure,
    specificity_report,


def metrics_files(methods, budgets=(BUDGET,), tasks=None, name="metrics"):
    return [
        PLAN.metrics(method, budget, name, model, seed, task)
        for model in MODELS
        for seed in SEEDS
        for task in (tasks or TASKS)
        for method in methods
        for budget in budgets
    ]


REPORT_SHELL = (
    "neuronllm report {params.kind:q} --metrics {input:q} --config {params.config:q} {params.extra:q} "
    "--out {output.md:q} --latex {output.tex:q} 2> {log:q}"
)


def table_rule(name, inputs, extra):
    rule:
        name:
            name
        input:
            inputs,
        output:
            md=report(R + f"/{name}.md", caption="../report/tables.rst", category="Tables"),
            tex=R + f"/{name}.tex",
        params:
            kind=name,
            config=CONFIG_NAME,
            extra=extra,
        log:
            R + f"/logs/{name}.log",
        benchmark:
            R + f"/benchmarks/{name}.tsv"
        conda:
            ENV
        shell:
            REPORT_SHELL


TABLE7_TASK = TABLE7.get("task", TASKS[0])
table_rule("table1", metrics_files(METHODS), ["--budget", str(BUDGET)])
table_rule("table5", metrics_files(["common"]), ["--budget", str(BUDGET)])
table_rule("ablation", metrics_files(PLAN.ablation, name="metrics_ablation"), ["--budget", str(BUDGET)])
table_rule("table7", metrics_files(TABLE7.get("methods", []), TABLE7.get("budgets", [BUDGET]), [TABLE7_TASK]),
           ["--report-task", TABLE7_TASK])


rule metrics_csv:
    input:
        sorted(set(metrics_files(METHODS))),
    output:
        report(R + "/metrics.csv", caption="../report/metrics_csv.rst", category="Data"),
    log:
        R + "/logs/metrics_csv.log",
    conda:
        ENV
    shell:
        "neuronllm report csv --metrics {input:q} --out {output:q} 2> {log:q}"


rule layer_figure:
    input:
        [PLAN.neurons("cni", BUDGET, MODELS[0], SEEDS[0], task) for task in TASKS],
    output:
        png=report(R + "/layers.png", caption="../report/layers.rst", category="Figures"),
        pdf=R + "/layers.pdf",
    params:
        sets=[f"{task}={PLAN.neurons('cni', BUDGET, MODELS[0], SEEDS[0], task)}" for task in TASKS],
    log:
        R + "/logs/layers.log",
    benchmark:
        R + "/benchmarks/layers.tsv"
    conda:
        ENV
    shell:
        "neuronllm report figure --neuron-sets {params.sets:q} --out {output.png:q} --pdf {output.pdf:q} 2> {log:q}"
