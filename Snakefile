"""neuronllm pipeline: identification -> intervention -> evaluation -> report, per model x seed x task x method.

    snakemake --cores all                          # Table 1 of config/config.yaml (= results/table1.md)
    snakemake --cores all all_tables               # every table, the tidy CSV and the layer figure
    snakemake --cores all results/specificity.md   # the specificity matrix (+ heatmap)
    snakemake --cores all results/transfer.md      # task or format: native format, other format, dose-response
    snakemake --cores all results/stability.md     # are the sets a property of the task? (samples, steps, data size)
    snakemake --report report.html                 # a browsable report of what was built
    snakemake --profile profiles/slurm --configfile config/paper.yaml   # the paper's setting on a SLURM cluster

Every output is written atomically by `neuronllm` commands, so an interrupted run resumes where it
stopped; each rule has a log and a benchmark file under results/logs and results/benchmarks, the one
shared conda environment (workflow/envs/neuronllm.yaml, used with --sdm conda; docs/pipeline.md says why
one) and mem_mb/runtime/gpu resources. Every config key: config/README.md.
"""

from snakemake.utils import min_version, validate

min_version("9.0")  # pyproject.toml pins snakemake>=9,<10

from neuronllm.errors import UserError
from neuronllm.pipeline.config_check import check_config

if (
    not workflow.overwrite_configfiles
):  # an explicit --configfile replaces the default (no merging)

    configfile: "config/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")
try:
    check_config(config)
except UserError as err:
    raise ValueError(str(err)) from None


report: "workflow/report/workflow.rst"


wildcard_constraints:
    model="[A-Za-z0-9_.-]+",
    seed="[0-9]+",
    task="[A-Za-z0-9_]+",
    method="[a-z_]+",
    budget="[0-9]+",
    index="[0-9]+",


include: "workflow/rules/common.smk"
include: "workflow/rules/identify.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/specificity.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/outputs.smk"
include: "workflow/rules/specificity_report.smk"
include: "workflow/rules/transfer.smk"
include: "workflow/rules/transfer_report.smk"
include: "workflow/rules/stability.smk"
include: "workflow/rules/stability_report.smk"


rule default:
    default_target: True
    input:
        f"{R}/table1.md",
        f"{R}/metrics.csv",


rule all_tables:
    input:
        f"{R}/table1.md",
        f"{R}/metrics.csv",
        f"{R}/table5.md",
        f"{R}/ablation.md",
        f"{R}/table7.md",
        f"{R}/layers.png",
