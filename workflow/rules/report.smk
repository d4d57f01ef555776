"""The paper's tables (Markdown + LaTeX) and the layer figure, from the metrics files."""


def metrics_files(methods, budgets=(BUDGET,), tasks=None, name="metrics.json"):
    return [
        f"{R}/{model}/{task}/{method}/k{budget}/{name}"
        for model in MODELS
        for task in (tasks or TASKS)
        for method in methods
        for budget in budgets
    ]


REPORT_SHELL = (
    "neuronllm report {params.kind} --metrics {input} --config {params.config} {params.extra} "
    "--out {output.md} --latex {output.tex} 2> {log}"
)
CONFIG_NAME = ",".join(str(f) for f in workflow.configfiles) or "config/config.yaml"


rule table1:
    input:
        metrics_files(METHODS),
    output:
        md=R + "/table1.md",
        tex=R + "/table1.tex",
    params:
        kind="table1",
        config=CONFIG_NAME,
        extra=f"--budget {BUDGET}",
    log:
        R + "/logs/table1.log",
    benchmark:
        R + "/benchmarks/table1.tsv"
    shell:
        REPORT_SHELL


rule table5:
    input:
        metrics_files(["common"]),
    output:
        md=R + "/table5.md",
        tex=R + "/table5.tex",
    params:
        kind="table5",
        config=CONFIG_NAME,
        extra=f"--budget {BUDGET}",
    log:
        R + "/logs/table5.log",
    benchmark:
        R + "/benchmarks/table5.tsv"
    shell:
        REPORT_SHELL


rule ablation:
    input:
        metrics_files(config.get("ablation_methods", ["cni", "tn", "qrnca"]), name="metrics_ablation.json"),
    output:
        md=R + "/ablation.md",
        tex=R + "/ablation.tex",
    params:
        kind="ablation",
        config=CONFIG_NAME,
        extra=f"--budget {BUDGET}",
    log:
        R + "/logs/ablation.log",
    benchmark:
        R + "/benchmarks/ablation.tsv"
    shell:
        REPORT_SHELL


rule table7:
    input:
        metrics_files(TABLE7.get("methods", ["cni", "tn", "qrnca"]), TABLE7.get("budgets", [BUDGET]), [TABLE7.get("task", TASKS[0])]),
    output:
        md=R + "/table7.md",
        tex=R + "/table7.tex",
    params:
        kind="table7",
        config=CONFIG_NAME,
        extra=f"--report-task {TABLE7.get('task', TASKS[0])}",
    log:
        R + "/logs/table7.log",
    benchmark:
        R + "/benchmarks/table7.tsv"
    shell:
        REPORT_SHELL


rule layer_figure:
    input:
        expand(R + "/{model}/{task}/cni/k{budget}/neurons.json", model=MODELS[0], task=TASKS, budget=BUDGET),
    output:
        png=R + "/layers.png",
        pdf=R + "/layers.pdf",
    params:
        sets=" ".join(f"{t}={R}/{MODELS[0]}/{t}/cni/k{BUDGET}/neurons.json" for t in TASKS),
    log:
        R + "/logs/layers.log",
    benchmark:
        R + "/benchmarks/layers.tsv"
    shell:
        "neuronllm report figure --neuron-sets {params.sets} --out {output.png} --pdf {output.pdf} 2> {log}"
