"""Keep library noise off the user's terminal without hiding anything that matters.

lm-eval logs INFO/WARNING lines per model and task that say nothing to our users (and warns that
loading arguments "may be ignored" when it is handed a model we loaded ourselves, with none given);
its simple_evaluate runs `git describe`, which prints "fatal: not a git repository" from any
directory outside a git checkout. Both are filtered here, narrowly: other log records and every other
stderr line pass through as they come (progress bars included).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

GIT_NOISE = b"fatal: not a git repository"


@contextmanager
def quiet_lm_eval() -> Iterator[None]:
    """lm-eval's own loggers at ERROR inside the block."""
    logger = logging.getLogger("lm_eval")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _pump(read_fd: int, write_fd: int, drop: bytes) -> None:
    """Copy the pipe to the real stderr, line by line, dropping lines that start with `drop`."""
    pending = b""
    with os.fdopen(read_fd, "rb", buffering=0) as pipe:
        while chunk := pipe.read(4096):
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if not line.startswith(drop):
                    os.write(write_fd, line + b"\n")
            if pending and not drop.startswith(pending[: len(drop)]):  # a progress bar's \r update
                os.write(write_fd, pending)
                pending = b""
    if pending and not pending.startswith(drop):
        os.write(write_fd, pending)


@contextmanager
def without_git_noise() -> Iterator[None]:
    """Inside the block, stderr (fd 2, subprocesses included) passes through a filter for GIT_NOISE."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (some notebook kernels): nothing to filter
        yield
        return
    read_fd, write_fd = os.pipe()
    os.dup2(write_fd, 2)
    os.close(write_fd)
    thread = threading.Thread(target=_pump, args=(read_fd, saved, GIT_NOISE), daemon=True)
    thread.start()
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)  # closes the pipe's last writer: the pump sees the end
        thread.join(timeout=5)
        os.close(saved)
