"""neuronllm pipeline: identification -> intervention -> evaluation -> report, per model x task x method x budget.

    snakemake --cores all                       # Table 1 for config/config.yaml (= results/table1.md)
    snakemake --cores all all_tables            # every table and the layer figure
    snakemake --cores all --configfile config/paper.yaml --executor slurm ...   # the paper's setting on GPUs

Every output is written atomically by `neuronllm` commands, so an interrupted run resumes where it
stopped; each rule has a log and a benchmark file under results/logs and results/benchmarks.
"""

from snakemake.utils import validate


if not workflow.overwrite_configfiles:  # an explicit --configfile replaces the default (no merging)

    configfile: "config/config.yaml"



validate(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/identify.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/report.smk"


rule default:
    default_target: True
    input:
        R + "/table1.md",


rule all_tables:
    input:
        R + "/table1.md",
        R + "/table5.md",
        R + "/ablation.md",
        R + "/table7.md",
        R + "/layers.png",
