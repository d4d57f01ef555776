"""Where the package's shipped files are, for every module that reads them and for the lm-eval hook.

One decision for all of them: the package runs from a repository checkout (an editable install) when
the folder above `neuronllm/` holds REPOSITORY_MARKER (the Snakefile), and then reads the checkout's own
`tasks/`, `data/` and workflow files; otherwise it reads the wheel's copies (pyproject.toml's
force-include: `neuronllm/_tasks`, `neuronllm/_data`, `neuronllm/_workflow`). An installed package's
site-packages never holds a Snakefile, so a stray `data/` folder beside it is never mistaken for ours.

Kept apart from `_lm_eval_plugin` (the .pth bootstrap) so that task code does not import the
bootstrap for a path. Imports nothing but `os`: the hook loads it at every Python start-up.
"""

from __future__ import annotations

import os

REPOSITORY_MARKER = "Snakefile"
# a shipped folder's place in the wheel, relative to neuronllm/ (pyproject.toml's force-include)
WHEEL_PLACES = {"tasks": "_tasks", "data": "_data", "workflow": "_workflow"}


def package_dir() -> str:
    return os.path.dirname(os.path.abspath(__file__))


def checkout_root(package: str | None = None) -> str | None:
    """The repository checkout the package (`package`: its neuronllm/ folder) runs from, or None."""
    root = os.path.dirname(package or package_dir())
    return root if os.path.isfile(os.path.join(root, REPOSITORY_MARKER)) else None


def shipped_dir(name: str, package: str | None = None) -> str:
    """The shipped folder `name` (tasks, data, or workflow: the folder that holds the Snakefile, workflow/,
    config/ and profiles/): the checkout's own, else the wheel's copy."""
    root = checkout_root(package)
    if root is not None:
        return root if name == "workflow" else os.path.join(root, name)
    return os.path.join(package or package_dir(), WHEEL_PLACES[name])


def tasks_dir() -> str:
    """The task folder: the repository's `tasks/` (editable install) or the copy in the wheel."""
    return shipped_dir("tasks")
