"""Make `lm_eval --model neuronllm --tasks aqua_ner` work with lm-eval 0.4.13, which discovers neither
models (no entry points are read) nor task folders of installed packages.

The `neuronllm_lm_eval.pth` file installed beside the package imports this module at Python
start-up. It imports nothing heavy: it only adds an import hook that waits for lm-eval itself.
  * after `lm_eval.models` has run (so lm-eval's own models, `hf` included, are registered first),
    it registers the name `neuronllm` as a lazy "module:Class" placeholder; torch and the model
    class load only when the name is used;
  * after `lm_eval.tasks.manager` has run, every TaskManager also indexes neuronllm's `tasks/`
    folder (appended to `include_path`, so the user's own `--include_path` still comes first).
Newer lm-eval releases read the `lm_eval.models` entry point declared in pyproject.toml instead.
Set NEURONLLM_NO_LM_EVAL_HOOK=1 to switch all of this off.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Callable
from typing import Any

from neuronllm import package_data

MODEL_NAME = "neuronllm"
MODEL_TARGET = "neuronllm.evaluation.lm_eval_model:NeuronLLM"


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


def register_model_and_error_hook() -> None:
    register_model()
    if not getattr(sys.excepthook, "_neuronllm", False):
        sys.excepthook = _excepthook(sys.excepthook)


_AFTER_IMPORT: dict[str, Callable[[], None]] = {
    "lm_eval.models": register_model_and_error_hook,
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
    if os.environ.get("NEURONLLM_NO_LM_EVAL_HOOK"):
        return
    if any(isinstance(f, _AfterImport) for f in sys.meta_path):
        return
    # lm-eval may already be imported (e.g. this module imported late): apply directly.
    if "lm_eval.models" in sys.modules:
        register_model_and_error_hook()
    if "lm_eval.tasks.manager" in sys.modules:
        add_tasks_to_task_manager()
    if "lm_eval.__main__" in sys.modules:
        one_line_user_errors()
    sys.meta_path.insert(0, _AfterImport())


install()
