"""One exception type for mistakes a user can fix, and one-line warnings; the CLI prints both as one line."""

from __future__ import annotations

import sys

_warned: set[str] = set()


class UserError(Exception):
    """Bad input (unknown task/method/model, malformed file, impossible budget): one-line message, no traceback."""


def warn(message: str) -> None:
    """Print `neuronllm: warning: message` on stderr, once per process and message."""
    if message in _warned:
        return
    _warned.add(message)
    print(f"neuronllm: warning: {message}", file=sys.stderr, flush=True)
