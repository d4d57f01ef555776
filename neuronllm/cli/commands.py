"""The commands' bodies: each parses nothing (the parser in neuronllm/cli/__init__.py does), checks
cheap things first, then loads and writes. One function per `neuronllm` command."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from neuronllm.cli import checks
from neuronllm.cli.checks import check_model, prepare_outputs
from neuronllm.errors import UserError

if TYPE_CHECKING:
    from neuronllm.evaluation.evaluate import EvalSettings
    from neuronllm.methods.identify import IdentifySettings
    from neuronllm.model.condition import Condition


# ----------------------------------------------------------------------------------------------- commands


def _identify_settings(args: argparse.Namespace) -> IdentifySettings:
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


def cmd_identify(args: argparse.Namespace) -> None:
    from neuronllm.attribution.kinds import Attributions
    from neuronllm.methods.identify import identify

    contrast = args.contrast_attributions or []
    prepare_outputs([args.out], [args.attributions, *contrast] + checks.data_paths(args))
    check_model(args.model)
    model_args = checks.model_args(args.model_args, scoring=False)
    attributions = Attributions.load(args.attributions) if args.attributions else None
    others = [Attributions.load(path) for path in contrast] or None
    loaded = None
    if attributions is None and model_args:
        from neuronllm.model.loading import load_model

        loaded = load_model(args.model, **model_args)
    neuron_set = identify(
        args.model,
        args.method,
        args.budget,
        _identify_settings(args),
        attributions,
        loaded,
        attributions_source=args.attributions or "attributions",
        require_bad=args.require_bad,
        model_args=model_args,
        others=others,
        contrast_tasks=[t for t in args.contrast_tasks.split(",") if t] if args.contrast_tasks else None,
        others_sources=contrast,
    )
    neuron_set.save(args.out)
    print(f"{args.out}: {len(neuron_set.good)} good, {len(neuron_set.bad)} bad neurons ({args.method}, {args.task})")


def cmd_attribute(args: argparse.Namespace) -> None:
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
    load_proxies(
        find_task(settings.task, settings.answer_format),
        "identify",
        settings.answer_format,
        settings.seed,
        settings.instances,
        1,
        settings.data_files,
    )  # bad data fails before the model loads
    result = attribute(args.model, settings, kinds, load_model(args.model, **model_args))
    result.save(args.out)
    print(f"{args.out}: {', '.join(kinds)} for {len(result.instance_ids)} proxies")


def cmd_null(args: argparse.Namespace) -> None:
    from neuronllm.analysis.null import matched_null, uniform_null
    from neuronllm.model.loading import config_neuron_counts, load_model, provenance_name
    from neuronllm.neurons import NeuronSet

    if len(args.indices) != len(args.outs):
        raise UserError(f"{len(args.indices)} indices but {len(args.outs)} output paths")
    inputs = [p for p in (args.matched_to, args.attributions) if p]
    prepare_outputs(args.outs, inputs)
    check_model(args.model)
    if args.matched_to:
        from neuronllm.attribution.kinds import Attributions

        if not args.attributions:
            raise UserError(
                "--matched-to needs --attributions (with 'activation' scores) for the activation magnitudes"
            )
        if args.budget is not None:
            raise UserError("--budget does not apply to a matched null set (it has the size of --matched-to)")
        target = NeuronSet.load(args.matched_to)
        magnitude = Attributions.load(args.attributions).require("activation").abs().mean(0)
        if list(magnitude.shape) != [len(target.neuron_counts), target.neuron_counts[0]]:
            raise UserError(f"{args.attributions} and {args.matched_to} come from models of different shapes")
        sets = [matched_null(target, magnitude, i, provenance_name(args.model)) for i in args.indices]
    else:
        if args.budget is None:
            raise UserError("a uniform null set needs --budget K")
        if args.attributions:
            raise UserError("--attributions applies to a matched null set only (with --matched-to)")
        counts = (
            config_neuron_counts(args.model, **checks.model_args(args.model_args, scoring=False))
            or load_model(args.model).neuron_counts
        )
        sets = [uniform_null(counts, args.budget, i, provenance_name(args.model)) for i in args.indices]
    from neuronllm.digests import provenance_digests

    for neuron_set, out in zip(sets, args.outs):
        neuron_set.provenance["digests"] = provenance_digests(
            None, None, None, {k: neuron_set.provenance.get(k) for k in ("null", "budget", "index", "matched_to")}
        )
        neuron_set.save(out)
        print(
            f"{out}: null set {neuron_set.provenance['index']} ({len(neuron_set.good)} + {len(neuron_set.bad)} neurons)"
        )


def _eval_settings(args: argparse.Namespace) -> EvalSettings:
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


def _conditions(args: argparse.Namespace) -> tuple[list[Condition], list[str]]:
    """(conditions, outputs) from --neurons/--op/--part/--out, or from --conditions/--outs."""
    from neuronllm.model.condition import EXCITE, Condition, parse_factor

    if args.conditions:
        if args.neurons or args.out:
            raise UserError("give either --neurons/--out or --conditions/--outs, not both")
        given = [name for name in ("factor", "op", "part") if getattr(args, name) is not None]
        if given:  # each condition says its own (PATH:OP-PART@FACTOR): a second value would be ignored
            raise UserError(
                f"--{given[0]} conflicts with --conditions (write it into each condition: PATH:OP-PART@FACTOR)"
            )
        if len(args.conditions) != len(args.outs or []):
            raise UserError(f"{len(args.conditions)} conditions but {len(args.outs or [])} output paths")
        return [Condition.parse(text, args.scope) for text in args.conditions], list(args.outs)
    if not args.out:
        raise UserError("evaluate needs --out PATH (or --conditions ... --outs ...)")
    if not args.neurons:
        given = [name for name in ("factor", "op", "part") if getattr(args, name) is not None]
        if given:
            raise UserError(f"--{given[0]} needs --neurons (the unmodified model has nothing to change)")
    return [
        Condition(
            args.neurons,
            args.op or "degrade",
            args.part or "both",
            args.scope,
            EXCITE if args.factor is None else parse_factor(args.factor, "--factor"),
        )
    ], [args.out]


def cmd_evaluate(args: argparse.Namespace) -> None:
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
        results = evaluate_lm_eval_task(
            args.model,
            args.lm_eval_task,
            conditions,
            outputs,
            args.limit,
            model_args=model_args,
            local_tasks_only=args.local_tasks_only,
        )
        for path, result in zip(outputs, results):
            shown = ", ".join(f"{k}={v:.4g}" for k, v in result["metrics"].items() if "stderr" not in k)
            print(f"{path}: {result['condition']['label']} {shown}")
        return
    if not args.task:
        raise UserError("evaluate needs --task (an AQUA task) or --lm-eval-task NAME")
    results = evaluate(args.model, _eval_settings(args), conditions, outputs, model_args=model_args)
    for path, result in zip(outputs, results):
        print(
            f"{path}: {result['condition']['label']} acc={result['acc']:.4f} "
            f"comprehension={result['comprehension']:.4f} ({result['n_instances']} instances)"
        )


def cmd_common(args: argparse.Namespace) -> None:
    from neuronllm.analysis.common_neurons import common_neurons
    from neuronllm.digests import object_digest, provenance_digests
    from neuronllm.neurons import NeuronSet

    prepare_outputs([args.out], args.sets)
    sources = [NeuronSet.load(p) for p in args.sets]
    neuron_set = common_neurons(sources, args.budget)
    neuron_set.provenance["digests"] = provenance_digests(None, None, None, {"budget": args.budget}) | {
        "sources": object_digest([s.provenance.get("digests") for s in sources], 32)
    }
    neuron_set.save(args.out)
    print(
        f"{args.out}: {len(neuron_set.good)} good ({neuron_set.provenance['good_in_every_task']} in every task), "
        f"{len(neuron_set.bad)} bad"
    )


def cmd_metrics(args: argparse.Namespace) -> None:
    from neuronllm.analysis.metrics_files import write_metrics
    from neuronllm.analysis.task_metrics import write_task_metrics
    from neuronllm.atomic import read_json

    prepare_outputs([args.out], [args.original, *args.conditions, *args.null, *args.null_matched])
    if "predictions" in read_json(args.original, "evaluation"):  # an AQUA evaluation
        write_metrics(args.original, args.conditions, args.out, args.info, args.null, args.resamples, args.null_matched)
    else:  # any other lm-eval task (`evaluate --lm-eval-task`)
        if args.null:
            raise UserError("null sets are compared on AQUA tasks only")
        write_task_metrics(args.original, args.conditions, args.out, args.info, args.resamples)
    print(args.out)


def cmd_report(args: argparse.Namespace) -> None:
    """Any kind of report, by its record in the report registry (neuronllm/report/registry.py)."""
    from neuronllm.report.registry import get_report

    options = vars(args)
    record = get_report(args.kind)
    missing = record.missing(options)
    if missing:
        needed = ", ".join(["--out", *("--" + n.replace("_", "-") for n in (*record.outputs, *record.needs))])
        raise UserError(f"report {args.kind} needs {', '.join(missing)} (it writes or reads {needed})")
    record.check(options)
    prepare_outputs(record.output_paths(options), record.reads(options))
    record.write(options)
    print(args.out)


def _task_paths(pairs: list[str] | None, what: str) -> dict[str, str]:
    """TASK=PATH pairs, each task once."""
    found: dict[str, str] = {}
    for item in pairs or []:
        task, sep, path = item.partition("=")
        if not sep or not task or not path:
            raise UserError(f"{what}: expected TASK=PATH, got {item!r}")
        if task in found:
            raise UserError(f"{what} names task {task!r} twice")
        found[task] = path
    return found


def cmd_stability(args: argparse.Namespace) -> None:
    from neuronllm.analysis.stability import StudySettings, write_study

    paths = {
        "pool": _task_paths(args.pools, "--pools"),
        "steps": _task_paths(args.steps_pools, "--steps-pools"),
        "format": _task_paths(args.format_pools, "--format-pools"),
    }
    for variant in ("steps", "format"):
        if paths[variant] and set(paths[variant]) != set(paths["pool"]):
            raise UserError(f"--{variant}-pools must name the same tasks as --pools")
    paths = {variant: by_task for variant, by_task in paths.items() if by_task}
    prepare_outputs([args.csv], [path for by_task in paths.values() for path in by_task.values()])
    settings = StudySettings(
        methods=tuple(m for m in args.methods.split(",") if m),
        samples=args.samples,
        instances=args.instances,
        sizes=tuple(args.sizes),
        reference=args.reference,
        compare_samples=args.compare_samples if len(paths) > 1 else 0,
        budget=args.budget,
        z=args.z,
        seed=args.seed,
    )
    versus = {"steps": args.versus_steps, "format": args.versus_format}
    write_study(paths, settings, versus, args.model_label, args.csv, args.sets_dir)
    print(args.csv)


def cmd_workflow(args: argparse.Namespace) -> None:
    import shlex
    from pathlib import Path

    from neuronllm.pipeline.workflow_files import copy_workflow

    for path in copy_workflow(Path(args.directory)):
        print(path)
    print(
        f"run it with: cd {shlex.quote(args.directory)} && snakemake --cores all   (or --profile profiles/slurm)",
        file=sys.stderr,
    )


def cmd_plan(args: argparse.Namespace) -> None:
    """Predicted peak memory of each model's identification and evaluation job against the device."""
    from neuronllm.model import memory
    from neuronllm.model.loading import default_device

    config: dict = checks.read_config(args.config) if args.config else {}
    # a flag given beats the config, which beats the defaults
    settings: dict[str, Any] = {
        key: getattr(args, key, None) if getattr(args, key, None) is not None else config.get(key, default)
        for key, default in PLAN_DEFAULTS.items()
    }
    models = [
        (
            str(m.get("spec", name)) if isinstance(m, dict) else str(name),
            dict((m.get("model_args") if isinstance(m, dict) else None) or {}),
        )
        for name, m in (config.get("models") or {}).items()
    ]
    if args.model or not models:
        models = [(args.model or "embedded", checks.model_args(args.model_args) if args.model_args else {})]
    device = args.device or default_device()
    for spec, arguments in models:
        checks.check_model_args_agree(arguments, {"dtype": args.dtype, "device": args.device}, spec)
    device_mib = (
        memory.parse_size(args.device_memory) if args.device_memory is not None else memory.device_memory_mib(device)
    )
    trie = args.trie_tokens or (1 if settings["answer_format"] == "letter" else 32)
    questions = args.questions or 3 * int(settings["eval_instances"])  # three proxies per instance
    fits = True
    for spec, arguments in models:
        dtype = args.dtype or arguments.get("dtype") or ("float32" if device == "cpu" else "bfloat16")
        plan = memory.plan_job(
            spec,
            device_mib,
            dtype,
            args.prompt_tokens,
            trie,
            int(settings["steps"]),
            int(settings["layer_batch"]),
            args.kv_memory_mb,
            args.batch_tokens,
            questions,
            arguments,
            device,
        )
        print(memory.describe(plan))
        fits &= plan.fits
    print(
        f"settings: {args.dtype or 'the dtype of each model'}, {settings['answer_format']} answers "
        f"(trie {trie} tokens), prompt {args.prompt_tokens} "
        f"tokens, m = {settings['steps']}, layer_batch {settings['layer_batch']}, kv_memory_mb "
        f"{args.kv_memory_mb:.0f}, "
        f"batch_tokens {args.batch_tokens}, {questions} questions per evaluation job"
    )
    if not fits:
        raise SystemExit(1)


PLAN_DEFAULTS = {"steps": 20, "layer_batch": 4, "answer_format": "text", "eval_instances": 50}
