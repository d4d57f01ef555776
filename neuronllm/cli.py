"""`neuronllm identify | attribute | evaluate | common | metrics | report`: the pipeline's steps as commands.

User mistakes (UserError) print one line and exit with status 2; no partial output is left behind.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from neuronllm.atomic import check_distinct, check_writable
from neuronllm.errors import UserError
from neuronllm.methods import METHOD_NAMES


def _data_files(value: str | None):
    """`shipped`, `hub`, a JSON mapping {split: path}, or nothing (the hub, else the shipped data)."""
    if value in (None, ""):
        return None
    if value in ("shipped", "hub"):
        return value
    try:
        mapping = json.loads(value)
    except json.JSONDecodeError:
        raise UserError(f"--data-files must be 'shipped', 'hub' or a JSON object {{split: path}}, got {value!r}") from None
    if not isinstance(mapping, dict):
        raise UserError("--data-files JSON must be an object {split: path}")
    return mapping


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1 (sizes, steps, budgets)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {value}")
    return value


def prepare_outputs(outputs: list[str], inputs: list[str] = ()) -> None:
    """Before any work: no output is also an input, and every output can be written."""
    check_distinct(list(outputs), [p for p in inputs if p])
    for path in outputs:
        check_writable(path)


def _data_paths(args) -> list[str]:
    """Local data files named by --data-files (they must not be overwritten either)."""
    data = _data_files(getattr(args, "data_files", None))
    if not isinstance(data, dict):
        return []
    return [p for v in data.values() for p in (v if isinstance(v, list) else [v])]


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="embedded", help="embedded, a hub id or a local directory")
    parser.add_argument("--task", required=True, help="ner, chunking, sentiment, commonsense, or any AQUA task")
    parser.add_argument("--answer-format", choices=["letter", "text"], default="text")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--instances", type=positive_int, default=None, help="identification instances (default: all)")
    parser.add_argument("--data-files", default=None,
                        help="'shipped', 'hub', or JSON {split: path}; default: the hub, else the shipped data")


def _identify_settings(args):
    from neuronllm.identify import IdentifySettings

    return IdentifySettings(
        task=args.task,
        answer_format=args.answer_format,
        seed=args.seed,
        instances=args.instances,
        steps=args.steps,
        layer_batch=args.batch_size,
        z=args.z,
        data_files=_data_files(args.data_files),
    )


def cmd_identify(args) -> None:
    from neuronllm.attribution import Attributions
    from neuronllm.identify import identify

    prepare_outputs([args.out], [args.attributions] + _data_paths(args))
    attributions = Attributions.load(args.attributions) if args.attributions else None
    neuron_set = identify(args.model, args.method, args.budget, _identify_settings(args), attributions,
                          attributions_source=args.attributions or "attributions")
    neuron_set.save(args.out)
    print(f"{args.out}: {len(neuron_set.good)} good, {len(neuron_set.bad)} bad neurons ({args.method}, {args.task})")


def cmd_attribute(args) -> None:
    from neuronllm.identify import attribute, required_kinds

    prepare_outputs([args.out], _data_paths(args))
    kinds = args.kinds.split(",") if args.kinds else required_kinds(args.methods.split(","))
    result = attribute(args.model, _identify_settings(args), kinds)
    result.save(args.out)
    print(f"{args.out}: {', '.join(kinds)} for {len(result.instance_ids)} proxies")


def _eval_settings(args):
    from neuronllm.evaluate import EvalSettings

    return EvalSettings(
        task=args.task,
        answer_format=args.answer_format,
        seed=args.seed,
        instances=args.instances,
        eval_instances=args.eval_instances,
        data_files=_data_files(args.data_files),
        prefix_cache=args.prefix_cache,
    )


def _report(path, result) -> None:
    label = result["condition"]["label"]
    print(f"{path}: {label} acc={result['acc']:.4f} comprehension={result['comprehension']:.4f} ({result['n_instances']} instances)")


def cmd_evaluate(args) -> None:
    from neuronllm.evaluate import Condition, evaluate

    prepare_outputs([args.out], [args.neurons] + _data_paths(args))
    condition = Condition(args.neurons, args.op, args.part, args.scope)
    _report(args.out, evaluate(args.model, _eval_settings(args), [condition], [args.out])[0])


def cmd_evaluate_many(args) -> None:
    """Several conditions of one neuron set in one process (one model load), e.g. degrade-both enhance-both."""
    from neuronllm.evaluate import Condition, evaluate

    if len(args.conditions) != len(args.outs):
        raise UserError(f"{len(args.conditions)} conditions but {len(args.outs)} output paths")
    prepare_outputs(args.outs, [args.neurons] + _data_paths(args))
    conditions = []
    for text in args.conditions:
        op, _, part = text.partition("-")
        conditions.append(Condition(args.neurons, op, part or "both", args.scope))
    for path, result in zip(args.outs, evaluate(args.model, _eval_settings(args), conditions, args.outs)):
        _report(path, result)


def cmd_common(args) -> None:
    from neuronllm.common import common_neurons
    from neuronllm.neurons import NeuronSet

    prepare_outputs([args.out], args.sets)
    neuron_set = common_neurons([NeuronSet.load(p) for p in args.sets], args.budget)
    neuron_set.save(args.out)
    print(f"{args.out}: {len(neuron_set.good)} good ({neuron_set.provenance['good_in_every_task']} in every task), {len(neuron_set.bad)} bad")


def cmd_metrics(args) -> None:
    from neuronllm.summary import write_metrics

    prepare_outputs([args.out], [args.original, *args.conditions])
    write_metrics(args.original, args.conditions, args.out, args.info)
    print(args.out)


def cmd_report(args) -> None:
    from neuronllm.report import layer_figure, write_report

    if args.kind == "figure":
        pairs = [item.partition("=") for item in args.neuron_sets]
        if any(not sep or not task or not path for task, sep, path in pairs):
            raise UserError("--neuron-sets takes TASK=PATH pairs")
        if not args.pdf:
            raise UserError("the figure needs --pdf PATH as well as --out PATH")
        sets = {task: path for task, _, path in pairs}
        prepare_outputs([args.out, args.pdf], list(sets.values()))
        layer_figure(sets, args.out, args.pdf)
    else:
        if not args.latex:
            raise UserError(f"report {args.kind} needs --latex PATH as well as --out PATH")
        prepare_outputs([args.out, args.latex], args.metrics)
        write_report(args.kind, args.metrics, args.out, args.latex, budget=args.budget, task=args.report_task, config=args.config)
    print(args.out)


class OneLineParser(argparse.ArgumentParser):
    """argparse prints its usage and the error; a user gets the error as one line (rc 2), like every
    other neuronllm error (`--help` still shows the usage)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="neuronllm", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    for name, help_text in (("identify", "find good and bad neurons"), ("attribute", "compute per-proxy scores shared by methods")):
        p = sub.add_parser(name, help=help_text)
        _common_options(p)
        p.add_argument("--steps", type=positive_int, default=20, help="IG steps m (default 20)")
        p.add_argument("--batch-size", type=positive_int, default=6, help="layers per batched IG pass (memory bound)")
        p.add_argument("--z", type=positive_int, default=1000, help="CNI per-instance top-z")
        p.add_argument("--out", required=True)
        if name == "identify":
            p.add_argument("--method", required=True, help=", ".join(METHOD_NAMES))
            p.add_argument("--budget", type=positive_int, default=100, help="K good and K bad neurons")
            p.add_argument("--attributions", help="precomputed scores from `neuronllm attribute`")
            p.set_defaults(func=cmd_identify)
        else:
            p.add_argument("--methods", default=",".join(m for m in METHOD_NAMES if m != "random"),
                           help="compute what these methods need")
            p.add_argument("--kinds", help="explicit kinds: contrastive,gold_prob,grad_x_act,activation")
            p.set_defaults(func=cmd_attribute)

    p = sub.add_parser("evaluate", help="acc and comprehension through lm-eval, optionally intervened")
    _common_options(p)
    p.add_argument("--eval-instances", type=positive_int, default=None)
    p.add_argument("--neurons", help="a neuron set JSON; without it, the unmodified model")
    p.add_argument("--op", default="degrade", choices=["silence", "excite", "enhance", "degrade"])
    p.add_argument("--part", default="both", choices=["good", "bad", "both"])
    p.add_argument("--scope", default="answer", choices=["answer", "all"])
    p.add_argument("--prefix-cache", help="directory to share prompt-prefix KV caches between runs")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("evaluate-many", help="several OP-PART conditions of one neuron set, one model load")
    _common_options(p)
    p.add_argument("--eval-instances", type=positive_int, default=None)
    p.add_argument("--neurons", required=True)
    p.add_argument("--conditions", nargs="+", required=True, help="e.g. degrade-both enhance-both")
    p.add_argument("--scope", default="answer", choices=["answer", "all"])
    p.add_argument("--prefix-cache", help="directory to share prompt-prefix KV caches between runs")
    p.add_argument("--outs", nargs="+", required=True)
    p.set_defaults(func=cmd_evaluate_many)

    p = sub.add_parser("common", help="common ability neurons of several tasks' sets")
    p.add_argument("--sets", nargs="+", required=True)
    p.add_argument("--budget", type=positive_int, default=100)
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_common)

    p = sub.add_parser("metrics", help="RAC/RCC of intervened evaluations against the original")
    p.add_argument("--original", required=True)
    p.add_argument("--conditions", nargs="+", required=True, help="evaluation JSONs of the intervened runs")
    p.add_argument("--info", default="{}", help="JSON merged into the metrics file (model label, method, budget ...)")
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_metrics)

    p = sub.add_parser("report", help="tables (Markdown + LaTeX) or the layer figure")
    p.add_argument("kind", choices=["table1", "table5", "ablation", "table7", "figure"])
    p.add_argument("--metrics", nargs="*", default=[])
    p.add_argument("--neuron-sets", nargs="*", default=[], help="TASK=PATH pairs for the figure")
    p.add_argument("--budget", type=positive_int)
    p.add_argument("--report-task", help="task of Table 7")
    p.add_argument("--config", help="config file named in the caption")
    p.add_argument("--out", required=True)
    p.add_argument("--latex", help="LaTeX output (tables)")
    p.add_argument("--pdf", help="PDF output (figure)")
    p.set_defaults(func=cmd_report)
    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except UserError as err:
        print(f"neuronllm: error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
