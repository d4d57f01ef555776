"""The contract of a several-condition job, checked: every lm-eval pass sends the first pass's requests.

A job evaluates N conditions on one loaded model by running lm-eval's evaluator N times over the same
built tasks (`neuronllm.evaluation.evaluate`), one pass per condition. The `neuronllm` model scores the
loglikelihood requests of the first pass under every condition at once (one prefix tree) and answers
the later passes from those scores. That is right only if each pass asks what the first asked, and the
conditions are comparable only then (the paired statistics pair document by document). So each pass
records, per call, the request type and a digest of its requests' content in order; a later pass
whose calls differ (another request, another order, a request type more or less) raises
RequestsDiffer before any stored score is returned. Outside a several-condition job nothing is checked.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any


class RequestsDiffer(RuntimeError):
    """lm-eval sent other requests on a later pass of a several-condition job than on its first."""


def requests_digest(contents: Sequence[Any]) -> str:
    """The requests' content in order (texts, token ids, generation arguments) as one digest."""
    text = json.dumps(list(contents), sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()


class Passes:
    """The calls of each pass, as (request type, count, digest), against the first pass's."""

    def __init__(self) -> None:
        self.first: list[tuple[str, int, str]] | None = None
        self.current: list[tuple[str, int, str]] | None = None
        self.condition: int | None = None

    def start(self, condition: int) -> None:
        self.current, self.condition = [], condition

    def record(self, request_type: str, contents: Sequence[Any]) -> None:
        """One call of the model (a request type and its requests); checked against the first pass."""
        if self.current is None:  # not inside a pass: a single-condition use, nothing to compare
            return
        call = (request_type, len(contents), requests_digest(contents))
        if self.first is not None:
            position = len(self.current)
            expected = self.first[position] if position < len(self.first) else None
            if call != expected:
                self._refuse(f"its call {position + 1} is {_text(call)}, the first pass's {_text(expected)}")
        self.current.append(call)

    def finish(self) -> None:
        if self.current is None:
            return
        if self.first is None:
            self.first = self.current
        elif len(self.current) != len(self.first):
            missing = self.first[len(self.current) :]
            self._refuse(
                f"it made {len(self.current)} calls, the first pass {len(self.first)} ({_text(missing[0])} ...)"
            )
        self.current = None

    def _refuse(self, difference: str) -> None:
        raise RequestsDiffer(
            f"lm-eval sent other requests on the pass of condition {self.condition} than on the first pass: "
            f"{difference}; the scores stored on the first pass would answer other requests (lm-eval's request "
            f"building must be deterministic across passes: neuronllm/evaluation/passes.py)"
        )


def _text(call: tuple[str, int, str] | None) -> str:
    return "none" if call is None else f"{call[1]} {call[0]} requests ({call[2][:12]})"
