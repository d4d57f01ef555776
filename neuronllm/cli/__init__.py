"""`neuronllm identify | attribute | null | evaluate | common | metrics | plan | report | workflow`: the pipeline's steps as commands.

User mistakes (UserError, bad arguments) print one line and exit with status 2, before any model
loads or any output is written; outputs are written atomically, never over an input.
"""

from __future__ import annotations

import argparse
import os
import sys

from neuronllm.cli import checks
from neuronllm.cli.checks import check_model, non_negative_int, positive_int, prepare_outputs
from neuronllm.errors import UserError
from neuronllm.methods import METHOD_NAMES
from neuronllm.model.condition import OPERATORS, PARTS, SCOPES
from neuronllm.tasks.aqua import EVAL_FORMATS

REPORT_KINDS = ("table1", "table5", "ablation", "table7", "specificity", "figure", "csv", "transfer")


# ----------------------------------------------------------------------------------------------- commands

def _identify_settings(args):
    from neuronllm.methods.identify import IdentifySettings

    return IdentifySettings(
        task=args.task,
        answer_format=args.answer_format,
        seed=args.seed,
        instances=args.instances,
        steps=args.steps,
        layer_batch=args.batch_size,
        z=args.z,
        data_files=checks.data_files(args.data_files),
    )


def cmd_identify(args) -> None:
    from neuronllm.attribution.kinds import Attributions
    from neuronllm.methods.identify import identify

    prepare_outputs([args.out], [args.attributions] + checks.data_paths(args))
    check_model(args.model)
    model_args = checks.model_args(args.model_args, scoring=False)
    attributions = Attributions.load(args.attributions) if args.attributions else None
    loaded = None
    if attributions is None and model_args:
        from neuronllm.model.loading import load_model

        loaded = load_model(args.model, **model_args)
    neuron_set = identify(args.model, args.method, args.budget, _identify_settings(args), attributions, loaded,
                          attributions_source=args.attributions or "attributions", require_bad=args.require_bad,
                          model_args=model_args)
    neuron_set.save(args.out)
    print(f"{args.out}: {len(neuron_set.good)} good, {len(neuron_set.bad)} bad neurons ({args.method}, {args.task})")


def cmd_attribute(args) -> None:
    from neuronllm.attribution.kinds import check_kinds
    from neuronllm.methods.identify import attribute, required_kinds
    from neuronllm.model.loading import load_model
    from neuronllm.tasks.lm_eval_tasks import find_task, load_proxies

    prepare_outputs([args.out], checks.data_paths(args))
    check_model(args.model)
    model_args = checks.model_args(args.model_args, scoring=False)
    kinds = args.kinds.split(",") if args.kinds else required_kinds(args.methods.split(","))
    check_kinds(kinds)
    settings = _identify_settings(args)
    find_task(settings.task, settings.answer_format)
    load_proxies(find_task(settings.task, settings.answer_format), "identify", settings.answer_format, settings.seed,
                 settings.instances, 1, settings.data_files)  # bad data fails before the model loads
    result = attribute(args.model, settings, kinds, load_model(args.model, **model_args))
    result.save(args.out)
    print(f"{args.out}: {', '.join(kinds)} for {len(result.instance_ids)} proxies")


def cmd_null(args) -> None:
    from neuronllm.analysis.null import matched_null, uniform_null
    from neuronllm.model.loading import config_neuron_counts, load_model, model_fingerprint
    from neuronllm.neurons import NeuronSet

    if len(args.indices) != len(args.outs):
        raise UserError(f"{len(args.indices)} indices but {len(args.outs)} output paths")
    inputs = [p for p in (args.matched_to, args.attributions) if p]
    prepare_outputs(args.outs, inputs)
    check_model(args.model)
    if args.matched_to:
        from neuronllm.attribution.kinds import Attributions

        if not args.attributions:
            raise UserError("--matched-to needs --attributions (with 'activation' scores) for the activation magnitudes")
        if args.budget is not None:
            raise UserError("--budget does not apply to a matched null set (it has the size of --matched-to)")
        target = NeuronSet.load(args.matched_to)
        magnitude = Attributions.load(args.attributions).require("activation").abs().mean(0)
        if list(magnitude.shape) != [len(target.neuron_counts), target.neuron_counts[0]]:
            raise UserError(f"{args.attributions} and {args.matched_to} come from models of different shapes")
        sets = [matched_null(target, magnitude, i, model_fingerprint(args.model)) for i in args.indices]
    else:
        if args.budget is None:
            raise UserError("a uniform null set needs --budget K")
        if args.attributions:
            raise UserError("--attributions applies to a matched null set only (with --matched-to)")
        counts = (config_neuron_counts(args.model, **checks.model_args(args.model_args, scoring=False))
                  or load_model(args.model).neuron_counts)
        sets = [uniform_null(counts, args.budget, i, model_fingerprint(args.model)) for i in args.indices]
    from neuronllm.digests import provenance_digests

    for neuron_set, out in zip(sets, args.outs):
        neuron_set.provenance["digests"] = provenance_digests(None, None, None, {
            k: neuron_set.provenance.get(k) for k in ("null", "budget", "index", "matched_to")})
        neuron_set.save(out)
        print(f"{out}: null set {neuron_set.provenance['index']} ({len(neuron_set.good)} + {len(neuron_set.bad)} neurons)")


def _eval_settings(args):
    from neuronllm.evaluation.evaluate import EvalSettings

    return EvalSettings(
        task=args.task,
        answer_format=args.answer_format,
        seed=args.seed,
        instances=args.instances,
        eval_instances=args.eval_instances,
        data_files=checks.data_files(args.data_files),
        prefix_cache=args.prefix_cache,
    )


def _conditions(args):
    """(conditions, outputs) from --neurons/--op/--part/--out, or from --conditions/--outs."""
    from neuronllm.model.condition import EXCITE, Condition, parse_factor

    if args.conditions:
        if args.neurons or args.out:
            raise UserError("give either --neurons/--out or --conditions/--outs, not both")
        if len(args.conditions) != len(args.outs or []):
            raise UserError(f"{len(args.conditions)} conditions but {len(args.outs or [])} output paths")
        return [Condition.parse(text, args.scope) for text in args.conditions], list(args.outs)
    if not args.out:
        raise UserError("evaluate needs --out PATH (or --conditions ... --outs ...)")
    if args.factor is not None and not args.neurons:
        raise UserError("--factor needs --neurons (the unmodified model has nothing to scale)")
    return [Condition(args.neurons, args.op, args.part, args.scope,
                      EXCITE if args.factor is None else parse_factor(args.factor, "--factor"))], [args.out]


def cmd_evaluate(args) -> None:
    from neuronllm.evaluation.evaluate import evaluate, evaluate_lm_eval_task
    from neuronllm.evaluation.lm_eval_model import check_cache_directory

    conditions, outputs = _conditions(args)
    prepare_outputs(outputs, [c.neurons for c in conditions if c.neurons] + checks.data_paths(args))
    check_model(args.model)
    model_args = checks.model_args(args.model_args)
    if args.prefix_cache:
        check_cache_directory(args.prefix_cache)
    checks.check_mode(args)
    if args.lm_eval_task:
        results = evaluate_lm_eval_task(args.model, args.lm_eval_task, conditions, outputs, args.limit,
                                        model_args=model_args, local_tasks_only=args.local_tasks_only)
        for path, result in zip(outputs, results):
            shown = ", ".join(f"{k}={v:.4g}" for k, v in result["metrics"].items() if "stderr" not in k)
            print(f"{path}: {result['condition']['label']} {shown}")
        return
    if not args.task:
        raise UserError("evaluate needs --task (an AQUA task) or --lm-eval-task NAME")
    results = evaluate(args.model, _eval_settings(args), conditions, outputs, model_args=model_args)
    for path, result in zip(outputs, results):
        print(f"{path}: {result['condition']['label']} acc={result['acc']:.4f} "
              f"comprehension={result['comprehension']:.4f} ({result['n_instances']} instances)")


def cmd_common(args) -> None:
    from neuronllm.analysis.common_neurons import common_neurons
    from neuronllm.digests import object_digest, provenance_digests
    from neuronllm.neurons import NeuronSet

    prepare_outputs([args.out], args.sets)
    sources = [NeuronSet.load(p) for p in args.sets]
    neuron_set = common_neurons(sources, args.budget)
    neuron_set.provenance["digests"] = provenance_digests(None, None, None, {"budget": args.budget}) | {
        "sources": object_digest([s.provenance.get("digests") for s in sources], 32)}
    neuron_set.save(args.out)
    print(f"{args.out}: {len(neuron_set.good)} good ({neuron_set.provenance['good_in_every_task']} in every task), {len(neuron_set.bad)} bad")


def cmd_metrics(args) -> None:
    from neuronllm.analysis.metrics_files import write_metrics, write_task_metrics
    from neuronllm.atomic import read_json

    prepare_outputs([args.out], [args.original, *args.conditions, *args.null, *args.null_matched])
    if "predictions" in read_json(args.original, "evaluation"):  # an AQUA evaluation
        write_metrics(args.original, args.conditions, args.out, args.info, args.null, args.resamples, args.null_matched)
    else:  # any other lm-eval task (`evaluate --lm-eval-task`)
        if args.null:
            raise UserError("null sets are compared on AQUA tasks only")
        write_task_metrics(args.original, args.conditions, args.out, args.info, args.resamples)
    print(args.out)


def cmd_report(args) -> None:
    from neuronllm import report

    if args.kind == "figure":
        pairs = [item.partition("=") for item in args.neuron_sets]
        if not pairs or any(not sep or not task or not path for task, sep, path in pairs):
            raise UserError("the figure needs --neuron-sets TASK=PATH ...")
        if not args.pdf:
            raise UserError("the figure needs --pdf PATH as well as --out PATH")
        tasks = [task for task, _, _ in pairs]
        if len(set(tasks)) < len(tasks):
            raise UserError(f"--neuron-sets names task {next(t for t in tasks if tasks.count(t) > 1)!r} twice")
        sets = {task: path for task, _, path in pairs}
        prepare_outputs([args.out, args.pdf], list(sets.values()))
        report.layer_figure(sets, args.out, args.pdf)
    elif args.kind == "csv":
        prepare_outputs([args.out], args.metrics)
        report.write_csv(args.metrics, args.out)
    elif args.kind == "transfer":
        from neuronllm.report.transfer import write_transfer

        needed = {"--plan": args.plan, "--latex": args.latex, "--png": args.png, "--pdf": args.pdf, "--csv": args.csv,
                  "--sweep-csv": args.sweep_csv, "--sweep-dir": args.sweep_dir}
        missing = [name for name, value in needed.items() if not value]
        if missing:
            raise UserError(f"the transfer report needs {', '.join(missing)} (and --out)")
        prepare_outputs([args.out, args.latex, args.png, args.pdf, args.csv, args.sweep_csv], [])
        write_transfer(args.plan, args.out, args.latex, args.png, args.pdf, args.csv, args.sweep_csv, args.sweep_dir,
                       args.resamples)
    elif args.kind == "specificity":
        if not args.latex or not args.pdf or not args.png:
            raise UserError("the specificity report needs --out (Markdown), --latex, --png and --pdf (heatmap) paths")
        prepare_outputs([args.out, args.latex, args.png, args.pdf], args.metrics)
        report.write_specificity(args.metrics, args.out, args.latex, args.pdf, args.png, config=args.config)
    else:
        if not args.latex:
            raise UserError(f"report {args.kind} needs --latex PATH as well as --out PATH")
        if args.kind == "table7" and args.budget is not None:
            raise UserError("table7 shows every budget of its task: --budget does not apply (use --report-task)")
        if args.kind != "table7" and args.report_task is not None:
            raise UserError(f"--report-task applies to table7 only, not {args.kind}")
        prepare_outputs([args.out, args.latex], args.metrics)
        report.write_report(args.kind, args.metrics, args.out, args.latex, budget=args.budget, task=args.report_task,
                            config=args.config)
    print(args.out)


def cmd_workflow(args) -> None:
    import shlex
    from pathlib import Path

    from neuronllm.pipeline.workflow_files import copy_workflow

    for path in copy_workflow(Path(args.directory)):
        print(path)
    print(f"run it with: cd {shlex.quote(args.directory)} && snakemake --cores all   (or --profile profiles/slurm)", file=sys.stderr)


def cmd_plan(args) -> None:
    """Predicted peak memory of each model's identification and evaluation job against the device."""
    from neuronllm.model import memory
    from neuronllm.model.loading import default_device

    config: dict = {}
    if args.config:
        import yaml

        try:
            config = yaml.safe_load(open(args.config)) or {}
        except (OSError, yaml.YAMLError) as err:
            raise UserError(f"cannot read config {args.config}: {err}") from None
    # a flag given beats the config, which beats the defaults
    settings = {key: getattr(args, key, None) if getattr(args, key, None) is not None else config.get(key, default)
                for key, default in PLAN_DEFAULTS.items()}
    models = [(str(m.get("spec", name)) if isinstance(m, dict) else str(name),
               dict((m.get("model_args") if isinstance(m, dict) else None) or {}))
              for name, m in (config.get("models") or {}).items()]
    if args.model or not models:
        models = [(args.model or "embedded", checks.model_args(args.model_args) if args.model_args else {})]
    device = args.device or default_device()
    dtype = args.dtype or ("float32" if device == "cpu" else "bfloat16")
    device_mib = memory.parse_size(args.device_memory) if args.device_memory else memory.device_memory_mib(device)
    trie = args.trie_tokens or (1 if settings["answer_format"] == "letter" else 32)
    questions = args.questions or 3 * int(settings["eval_instances"])  # three proxies per instance
    fits = True
    for spec, arguments in models:
        plan = memory.plan_job(spec, device_mib, dtype, args.prompt_tokens, trie, int(settings["steps"]),
                               int(settings["layer_batch"]), args.kv_memory_mb, args.batch_tokens, questions, arguments,
                               device)
        print(memory.describe(plan))
        fits &= plan.fits
    print(f"settings: {dtype}, {settings['answer_format']} answers (trie {trie} tokens), prompt {args.prompt_tokens} "
          f"tokens, m = {settings['steps']}, layer_batch {settings['layer_batch']}, kv_memory_mb {args.kv_memory_mb:.0f}, "
          f"batch_tokens {args.batch_tokens}, {questions} questions per evaluation job")
    if not fits:
        raise SystemExit(1)


PLAN_DEFAULTS = {"steps": 20, "layer_batch": 4, "answer_format": "text", "eval_instances": 50}


# ----------------------------------------------------------------------------------------------- parser

class OneLineParser(argparse.ArgumentParser):
    """argparse prints its usage and the error; a user gets the error as one line (rc 2), like every
    other neuronllm error (`--help` still shows the usage)."""

    def error(self, message: str):  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def _model_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", default="embedded", help="embedded, a hub id or a local directory")
    parser.add_argument("--model-args", default=None,
                        help="HFLM loading arguments, e.g. revision=abc,trust_remote_code=True (or JSON)")


def _task_options(parser: argparse.ArgumentParser, required: bool = True, formats: tuple[str, ...] = ("letter", "text")) -> None:
    parser.add_argument("--task", required=required, help="ner, chunking, sentiment, commonsense, or any AQUA task")
    parser.add_argument("--answer-format", choices=list(formats), default="text",
                        help="native (evaluate only): the task as a plain cloze, no AQUA prompt (docs/method.md)")
    parser.add_argument("--seed", type=int, default=0, help="proxy and identification seed")
    parser.add_argument("--instances", type=positive_int, default=None, help="identification instances (default: all)")
    parser.add_argument("--data-files", default=None,
                        help="'shipped', 'hub', or JSON {split: path}; default: the hub, else the shipped data")


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(prog="neuronllm", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    for name, help_text in (("identify", "find good and bad neurons"), ("attribute", "compute per-proxy scores shared by methods")):
        p = sub.add_parser(name, help=help_text)
        _model_options(p)
        _task_options(p)
        p.add_argument("--steps", type=positive_int, default=20, help="IG steps m (default 20)")
        p.add_argument("--batch-size", type=positive_int, default=6, help="layers per batched IG pass (memory bound)")
        p.add_argument("--z", type=positive_int, default=1000, help="CNI per-instance top-z")
        p.add_argument("--out", required=True)
        if name == "identify":
            p.add_argument("--method", required=True, help=", ".join(METHOD_NAMES))
            p.add_argument("--budget", type=positive_int, default=100, help="K good and K bad neurons")
            p.add_argument("--attributions", help="precomputed scores from `neuronllm attribute`")
            p.add_argument("--require-bad", action="store_true",
                           help="an empty bad side is an error (the ablation intervenes on every method's bad set)")
            p.set_defaults(func=cmd_identify)
        else:
            p.add_argument("--methods", default=",".join(m for m in METHOD_NAMES if m != "random"),
                           help="compute what these methods need")
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
    p.add_argument("--op", default="degrade", choices=OPERATORS)
    p.add_argument("--part", default="both", choices=PARTS)
    p.add_argument("--factor", default=None, help="what excite multiplies by (default 2; silence is always 0)")
    p.add_argument("--out")
    p.add_argument("--conditions", nargs="+", help="several conditions in one run: original or PATH:OP-PART[@FACTOR] ...")
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
    p.add_argument("--kv-memory-mb", type=float, default=8192)
    p.add_argument("--batch-tokens", type=positive_int, default=4096)
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("report", help="tables (Markdown + LaTeX), the tidy CSV, or figures")
    p.add_argument("kind", choices=REPORT_KINDS)
    p.add_argument("--metrics", nargs="*", default=[])
    p.add_argument("--neuron-sets", nargs="*", default=[], help="TASK=PATH pairs for the figure")
    p.add_argument("--budget", type=positive_int)
    p.add_argument("--report-task", help="task of Table 7")
    p.add_argument("--config", help="config file named in the caption")
    p.add_argument("--out", required=True)
    p.add_argument("--latex", help="LaTeX output (tables)")
    p.add_argument("--pdf", help="PDF output (figure)")
    p.add_argument("--png", help="PNG output (specificity heatmap, transfer figure)")
    p.add_argument("--plan", help="transfer: the pipeline config as JSON (which evaluation file is which)")
    p.add_argument("--csv", help="transfer: its rows in the tidy CSV's columns")
    p.add_argument("--sweep-csv", help="transfer: the dose-response points")
    p.add_argument("--sweep-dir", help="transfer: directory of the dose-response figures (one per task)")
    p.add_argument("--resamples", type=positive_int, default=2000, help="transfer: bootstrap resamples")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("workflow", help="copy the Snakemake workflow (Snakefile, workflow/, config/, profiles/) into a directory")
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
