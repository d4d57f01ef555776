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
    "neuronllm report {params.kind:q} --metrics {input.metrics:q} --config {params.config:q} {params.extra:q} "
    "--out {output.md:q} --latex {output.tex:q} 2> {log:q}"
)


def table_rule(name, inputs, extra, after=(), figure=False):
    """A table's rule; `after`: outputs it waits for without reading them (Table 1 waits for the tidy
    CSV, so the main command leaves both and `snakemake --report` finds every file it lists);
    `figure`: the table also as a forest plot, {name}_forest.png/.pdf (Table 1's headline figure).
    """
    figures = (
        {
            "png": report(
                f"{R}/{name}_forest.png",
                caption=EXTRA_CAPTIONS["forest"],
                category=CATEGORY["png"],
            ),
            "pdf": f"{R}/{name}_forest.pdf",
        }
        if figure
        else {}
    )
    figure_args = ["--png", figures["png"], "--pdf", figures["pdf"]] if figure else []

    rule:
        name:
            name
        input:
            metrics=inputs,
            after=list(after),
        output:
            **figures,
            md=report(
                f"{R}/{name}.md",
                caption=REPORTS[name].caption_path,
                category=CATEGORY["md"],
            ),
            tex=f"{R}/{name}.tex",
        log:
            f"{R}/logs/{name}.log",
        benchmark:
            f"{R}/benchmarks/{name}.tsv"
        conda:
            ENV
        params:
            kind=name,
            config=CONFIG_NAME,
            extra=list(extra) + figure_args,
        shell:
            REPORT_SHELL


TABLE7_TASK = TABLE7.get("task", TASKS[0])
table_rule(
    "table1",
    metrics_files(METHODS),
    ["--budget", str(BUDGET)],
    after=[f"{R}/metrics.csv"],
    figure=True,
)
table_rule("table5", metrics_files(["common"]), ["--budget", str(BUDGET)])
table_rule(
    "ablation",
    metrics_files(PLAN.ablation, name="metrics_ablation"),
    ["--budget", str(BUDGET)],
)
table_rule(
    "table7",
    metrics_files(
        TABLE7.get("methods", []), TABLE7.get("budgets", [BUDGET]), [TABLE7_TASK]
    ),
    ["--report-task", TABLE7_TASK],
)
