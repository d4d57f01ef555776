"""What the command line's arguments are checked against before any work: argument types (sizes),
data-file and model-argument values, the model spec, and the outputs (writable, never an input)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from neuronllm.atomic import check_distinct, check_writable
from neuronllm.errors import UserError


def data_files(value: str | None) -> str | Mapping[str, Any] | None:
    """--data-files: `shipped`, `hub`, a JSON mapping {split: path}, or nothing (tasks.data.parse_data_files)."""
    from neuronllm.tasks.data import parse_data_files

    return parse_data_files(value, "--data-files")


def model_args(value: str | None, scoring: bool = True) -> dict:
    """HFLM's loading arguments as lm-eval writes them (`revision=abc,trust_remote_code=True`) or JSON,
    checked by name now (a typo is an error before anything loads). scoring=False (identification,
    null sets): the arguments that act only when lm-eval scores requests (max_length, truncation,
    batch sizes, ...) would be ignored there, so they are refused."""
    from neuronllm.model.loading import RUNTIME_ARGUMENTS, check_arguments, hflm_arguments

    parsed = parse_model_args(value)
    check_arguments(parsed, hflm_arguments(), "model argument")
    if not scoring:
        ignored = sorted(k for k in parsed if k in RUNTIME_ARGUMENTS and k not in ("device", "backend"))
        if ignored:
            raise UserError(
                f"--model-args {ignored[0]} applies to evaluation only (identification scores every "
                f"prompt whole, without lm-eval's request handling)"
            )
    return parsed


def check_mode(args: argparse.Namespace) -> None:
    """evaluate: the options of the other mode (AQUA task vs --lm-eval-task) are refused, not ignored."""
    aqua_only = {
        "--task": args.task,
        "--instances": args.instances,
        "--eval-instances": args.eval_instances,
        "--data-files": args.data_files,
        "--prefix-cache": args.prefix_cache,
        "--seed": args.seed if args.seed != 0 else None,
        "--answer-format": args.answer_format if args.answer_format != "text" else None,
    }
    if args.lm_eval_task:
        given = [name for name, value in aqua_only.items() if value is not None]
        if given:
            raise UserError(f"{given[0]} applies to AQUA tasks (--task), not to --lm-eval-task {args.lm_eval_task}")
    else:
        for name, value in (("--limit", args.limit), ("--local-tasks-only", args.local_tasks_only or None)):
            if value is not None:
                raise UserError(f"{name} applies to --lm-eval-task only")


def parse_model_args(value: str | None) -> dict:
    if not value:
        return {}
    if value.strip().startswith("{"):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            raise UserError(f"--model-args is not valid JSON: {value!r}") from None
        if not isinstance(parsed, dict):
            raise UserError("--model-args JSON must be an object")
        return parsed
    from lm_eval.utils import simple_parse_args_string

    try:
        return simple_parse_args_string(value)
    except ValueError as err:
        raise UserError(f"--model-args must be key=value pairs separated by commas ({err})") from None


def _integer_at_least(minimum: int, what: str) -> Callable[[str], int]:
    """An argparse type: an integer >= minimum, else a one-line error saying what was expected."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"expected {what}, got {value}")
        return value

    return parse


def positive_float(text: str) -> float:
    """An argparse type: a finite number > 0 (float() alone accepts 'nan', 'inf' and negatives)."""
    import math

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a finite positive number, got {text!r}")
    return value


def check_model_args_agree(model_args: Mapping[str, Any], flags: Mapping[str, Any], where: str) -> None:
    """A flag and a --model-args (or config model_args) key that say the same thing must agree: neither
    silently wins (`--dtype float32` with `dtype=bfloat16`)."""
    for name, flag in flags.items():
        given = model_args.get(name)
        if flag is not None and given is not None and str(given) != str(flag):
            raise UserError(
                f"--{name} {flag} conflicts with model argument {name}={given} of {where}: give one of them"
            )


positive_int = _integer_at_least(1, "a positive integer")  # sizes, steps, budgets
non_negative_int = _integer_at_least(0, "an integer >= 0")  # indices


def check_model(spec: str) -> None:
    """The model spec names something loadable (a directory with a config, a fetched embedded model,
    or a hub id) before any other work; the embedded model is not converted here."""
    from neuronllm.model.embedded import check_available, is_embedded
    from neuronllm.model.loading import resolve_model_path

    if is_embedded(spec):
        check_available(spec)
    else:
        resolve_model_path(spec)


def prepare_outputs(outputs: Sequence[str], inputs: Sequence[str] = ()) -> None:
    """Before any work: no output is also an input, every input that exists is a regular file (a FIFO
    or a device is refused, not read), and every output can be written."""
    from pathlib import Path

    from neuronllm.digests import regular_file

    check_distinct(list(outputs), [p for p in inputs if p])
    for path in inputs:
        if path and Path(path).exists() and not Path(path).is_dir():
            regular_file(path)
    for path in outputs:
        check_writable(path)


def data_paths(args: argparse.Namespace) -> list[str]:
    """Local data files named by --data-files (they must not be overwritten either)."""
    data = data_files(getattr(args, "data_files", None))
    if not isinstance(data, dict):
        return []
    return [p for v in data.values() for p in (v if isinstance(v, list) else [v]) if isinstance(p, str) and p]


def read_config(path: str) -> dict[str, Any]:
    """A pipeline config as a mapping (YAML read safely: no tags executed), or one line naming the problem."""
    import yaml

    try:
        with open(path, encoding="utf-8") as handle:
            config = yaml.safe_load(handle) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise UserError(f"cannot read config {path}: {str(err).splitlines()[0]}") from None
    if not isinstance(config, dict):
        raise UserError(f"config {path} is not a mapping")
    return config
