"""The one door to lm-eval's internals: every private lm-eval name and every patch of lm-eval lives here.

Supported: lm-eval 0.4.13 (`SUPPORTED_LM_EVAL`, the version pyproject.toml pins). Another version gets one
warning line when lm-eval loads (`check_lm_eval_version`), not an error: this module's hooks run inside
every lm-eval process, also ones that never use neuronllm, and the failures that would give wrong numbers
are refused where they happen (a missing private name here; requests that differ between the passes of a
several-condition job, neuronllm/evaluation/passes.py). tests/integration/test_lm_eval_model.py checks
the uses below against the installed lm-eval; tests/unit/test_lm_eval_adapter.py keeps every other
module of the package to lm-eval's public names (its imports, overrides, attributes and assignments).

What is here, and why no public mechanism serves:
  * start-up hooks (the `neuronllm_lm_eval.pth` file runs `install` through `neuronllm._lm_eval_plugin`):
    lm-eval 0.4.13 reads no `lm_eval.models` entry points (pyproject.toml declares one for newer
    releases) and indexes no task folder of an installed package, so after `lm_eval.models` loads the
    name `neuronllm` is registered as a lazy "module:Class" placeholder (torch loads only when it is
    used), and after `lm_eval.tasks.manager` loads every TaskManager also indexes neuronllm's `tasks/`
    (before the user's `--include_path`, so the user's files win). The `lm_eval` command prints a
    neuronllm UserError as one line (`cli_evaluate` wrapped; `sys.excepthook` for `python -m lm_eval`).
    Set NEURONLLM_NO_LM_EVAL_HOOK=1 to switch the hooks off.
  * `tokenized_loglikelihood`: lm-eval's own tokenization of loglikelihood requests (HFLM.loglikelihood:
    its checks, the empty-context rule, `_encode_pair`), with its private scoring step captured, so the
    `neuronllm` model scores exactly the tokens HFLM would.
  * `own_cache_table`: lm-eval's request cache (`--use_cache`) keys on the request text only; the model
    points it at a table of its own per condition.
  * `LM_EVAL_METADATA`: the keys lm-eval adds to the metadata it hands a task's dataset function.
Nothing here imports lm-eval or torch at module level: `install` runs at every Python start-up.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Callable
from typing import Any

from neuronllm import package_data

SUPPORTED_LM_EVAL = ("0.4.13",)
MODEL_NAME = "neuronllm"
MODEL_TARGET = "neuronllm.evaluation.lm_eval_model:NeuronLLM"
# What lm-eval itself adds to a task's metadata (its YAML `metadata:` block and the task factory's `_metadata`).
LM_EVAL_METADATA = ("version", "config_source", "_metadata", "spec")


# -- the version ------------------------------------------------------------------------------------


def installed_lm_eval_version() -> str | None:
    """The installed lm-eval distribution's version, read from its metadata (lm-eval is not imported)."""
    from importlib import metadata

    try:
        return metadata.version("lm_eval")
    except metadata.PackageNotFoundError:
        return None


def version_problem(version: str | None) -> str | None:
    """One line saying why `version` is not supported, or None."""
    if version is None or version in SUPPORTED_LM_EVAL:
        return None
    return (
        f"lm-eval {version} is installed; neuronllm supports lm-eval {', '.join(SUPPORTED_LM_EVAL)} "
        f"(its lm-eval internals: neuronllm/lm_eval_adapter.py): scores may fail or differ"
    )


def check_lm_eval_version() -> None:
    """The one warning line for an unsupported lm-eval (`warn` says each message once per process)."""
    problem = version_problem(installed_lm_eval_version())
    if problem:
        from neuronllm.errors import warn

        warn(problem)


def missing(name: str) -> RuntimeError:
    """A private lm-eval name this adapter relies on is gone: say so with the version, not an AttributeError."""
    return RuntimeError(
        f"lm-eval {installed_lm_eval_version()} has no {name}; neuronllm supports lm-eval "
        f"{', '.join(SUPPORTED_LM_EVAL)} (neuronllm/lm_eval_adapter.py)"
    )


# -- scoring: the private names the `neuronllm` model needs ----------------------------------------------


def tokenized_loglikelihood(
    lm: Any, requests: list[Any], disable_tqdm: bool = False
) -> list[tuple[tuple[str, str], list[int], list[int]]]:
    """(strings, context tokens, continuation tokens) per request, as HFLM.loglikelihood builds them.

    HFLM.loglikelihood runs in full (its checks, its tokenization) with its private scoring step,
    `_loglikelihood_tokens`, shadowed on this instance by a capture for the length of the call."""
    from lm_eval.models.huggingface import HFLM

    captured: list[tuple[tuple[str, str], list[int], list[int]]] = []

    def capture(tokenized: list, **_: Any) -> list[tuple[float, bool]]:
        captured.extend(tokenized)
        return [(0.0, False)] * len(tokenized)

    lm.__dict__["_loglikelihood_tokens"] = capture  # an instance attribute shadows the class's method
    try:
        HFLM.loglikelihood(lm, requests, disable_tqdm=disable_tqdm)
    finally:
        del lm.__dict__["_loglikelihood_tokens"]
    if len(captured) != len(requests):  # HFLM.loglikelihood no longer hands its tokens to _loglikelihood_tokens
        raise missing("HFLM.loglikelihood -> _loglikelihood_tokens(tokenized requests)")
    return captured


def own_cache_table(cache_hook: Any, table: str) -> None:
    """Point the SqliteDict shared by lm-eval's CachingLM and its cache hook at `table`, so this model's
    lookups and writes never meet another condition's entries."""
    db = getattr(cache_hook, "dbdict", None)
    if db is not None and hasattr(db, "tablename"):
        db.tablename = table
        db.conn.execute(f'CREATE TABLE IF NOT EXISTS "{table}" (key TEXT PRIMARY KEY, value BLOB)')
        db.conn.commit()


# -- start-up hooks (the .pth file) ------------------------------------------------------------------


def register_model() -> None:
    from lm_eval.api.registry import model_registry

    if MODEL_NAME not in model_registry:
        model_registry.register(MODEL_NAME, target=MODEL_TARGET)


def add_tasks_to_task_manager() -> None:
    from lm_eval.tasks import manager

    cls = manager.TaskManager
    if getattr(cls.__init__, "_neuronllm_wrapped", False):
        return
    original = cls.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        if len(args) >= 2:  # (verbosity, include_path, ...) given positionally
            kwargs["include_path"], args = args[1], (args[0], *args[2:])
        include = kwargs.get("include_path")
        paths = [] if include is None else list(include) if isinstance(include, (list, tuple)) else [include]
        ours = package_data.tasks_dir()
        if all(os.path.abspath(str(p)) != ours for p in paths):
            paths = [ours, *paths]  # later paths override earlier ones: the user's win
        kwargs["include_path"] = paths
        original(self, *args, **kwargs)

    __init__._neuronllm_wrapped = True  # type: ignore[attr-defined]  # a mark on lm-eval's function: wrap it once
    cls.__init__ = __init__


def _user_error_in(err: BaseException | None) -> BaseException | None:
    """The neuronllm UserError in an exception's chain (lm-eval may wrap what our code raised)."""
    from neuronllm.errors import UserError

    seen = 0
    while err is not None and seen < 20:
        if isinstance(err, UserError):
            return err
        err, seen = err.__cause__ or err.__context__, seen + 1
    return None


def one_line_user_errors() -> None:
    """`lm_eval ...` (the console script): a neuronllm UserError prints one line and exits with 2, like
    `neuronllm` does. `python -m lm_eval` gets the same line through sys.excepthook (exit status 1)."""
    from lm_eval import __main__ as main

    original = main.cli_evaluate
    if getattr(original, "_neuronllm_wrapped", False):
        return

    def cli_evaluate(*args: Any, **kwargs: Any) -> Any:
        from neuronllm.quiet import without_git_noise

        try:
            with without_git_noise():
                return original(*args, **kwargs)
        except Exception as err:
            found = _user_error_in(err)
            if found is None:
                raise
            print(f"neuronllm: error: {found}", file=sys.stderr)
            raise SystemExit(2) from None

    cli_evaluate._neuronllm_wrapped = True  # type: ignore[attr-defined]  # a mark on lm-eval's function: wrap it once
    main.cli_evaluate = cli_evaluate


def _excepthook(previous: Callable) -> Callable:
    def hook(kind: type, value: BaseException, traceback: Any) -> None:
        found = _user_error_in(value)
        if found is not None:
            print(f"neuronllm: error: {found}", file=sys.stderr)
            return
        previous(kind, value, traceback)

    hook._neuronllm = True  # type: ignore[attr-defined]  # a mark on our hook: install it once
    return hook


def on_lm_eval_models() -> None:
    """lm-eval's models have loaded: the version line, our model's name, the one-line errors."""
    check_lm_eval_version()
    register_model()
    if not getattr(sys.excepthook, "_neuronllm", False):
        sys.excepthook = _excepthook(sys.excepthook)


_AFTER_IMPORT: dict[str, Callable[[], None]] = {
    "lm_eval.models": on_lm_eval_models,
    "lm_eval.tasks.manager": add_tasks_to_task_manager,
    "lm_eval.__main__": one_line_user_errors,
}


class _AfterImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the normal loader of a few lm-eval modules to run a callback after them."""

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> importlib.machinery.ModuleSpec | None:
        callback = _AFTER_IMPORT.get(fullname)
        if callback is None:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return None
        loader = spec.loader
        original_exec = loader.exec_module

        def exec_module(module: Any) -> None:
            original_exec(module)
            try:
                callback()
            except Exception as err:  # never break lm-eval itself
                print(f"neuronllm: lm-eval hook failed ({err})", file=sys.stderr)

        loader.exec_module = exec_module  # type: ignore[method-assign]  # the loader of lm-eval's module only
        return spec


def install() -> None:
    """The start-up hooks: applied now to the lm-eval modules already imported, later to the others."""
    if os.environ.get("NEURONLLM_NO_LM_EVAL_HOOK"):
        return
    if any(isinstance(f, _AfterImport) for f in sys.meta_path):
        return
    for name, callback in _AFTER_IMPORT.items():
        if name in sys.modules:
            callback()
    sys.meta_path.insert(0, _AfterImport())
