"""Where the package's shipped files are, for every module that reads them and for the lm-eval hook.

Kept apart from `_lm_eval_plugin` (the .pth bootstrap) so that task code does not import the
bootstrap for a path. Imports nothing but `os`: the hook loads it at every Python start-up.
"""

from __future__ import annotations

import os


def tasks_dir() -> str:
    """The task folder: the repository's `tasks/` (editable install) or the copy in the wheel."""
    here = os.path.dirname(os.path.abspath(__file__))
    repo_tasks = os.path.join(os.path.dirname(here), "tasks")
    if os.path.isfile(os.path.join(repo_tasks, "aqua", "_aqua_base.yaml")):
        return repo_tasks
    return os.path.join(here, "_tasks")
