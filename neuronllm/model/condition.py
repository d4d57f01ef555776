"""One evaluation condition: which neurons, which operator on which part, where, by which factor.

    original                          the unmodified model
    PATH:OP-PART[@FACTOR]             e.g. sets/ner.json:degrade-good, sets/ner.json:excite-bad@0.5

OP is silence / excite / enhance / degrade, PART good / bad / both, scope answer / all. FACTOR is what
"excite" multiplies by (default ×2; silence is always ×0), so the operators read, per neuron n:
    silence: n·0   excite: n·f   enhance: good·f, bad·0   degrade: good·0, bad·f
A dose-response sweep is `excite-good@f` / `excite-bad@f` for several f (f = 0 silences, f = 1 is the
unmodified model, f = 2 is the paper's excite). The factor belongs to the condition's identity (its
label, its output path, the lm-eval cache table, the metrics key) everywhere, so evaluations of two
factors are never mixed; the defaults (×0, ×2) keep every path and number of the paper's conditions.

This is the only place the names are validated: the CLI, `neuronllm.evaluation.evaluate` and the lm-eval model
(`neuronllm.evaluation.lm_eval_model`) all build a Condition.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from neuronllm.errors import UserError

OPERATORS = ("silence", "excite", "enhance", "degrade")
PARTS = ("good", "bad", "both")
SCOPES = ("answer", "all")
SILENCE = 0.0
EXCITE = 2.0
# The largest factor: the dose-response sweep's range (config.yaml sweeps ×0..×4) with headroom. Far
# beyond it a neuron's activation leaves every scale the model was trained at: at ×1e30 every option
# scores -ln|V| (a uniform distribution) and a table would read the tie-break as an effect.
MAX_FACTOR = 10.0


def factor_text(factor: float) -> str:
    """The shortest exact text of a factor: 2.0 -> '2', 0.5 -> '0.5' (what labels and paths carry)."""
    return f"{factor:g}" if float(f"{factor:g}") == factor else repr(factor)


def parse_factor(text: Any, source: str = "factor") -> float:
    """A finite factor in 0..MAX_FACTOR (from a number or its text); one-line error otherwise."""
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise UserError(f"{source} {text!r}: expected a number in 0..{MAX_FACTOR:g} (e.g. 0.5, 2)") from None
    if isinstance(text, bool) or not math.isfinite(value) or not 0 <= value <= MAX_FACTOR:
        raise UserError(
            f"{source} {text!r}: expected a finite number in 0..{MAX_FACTOR:g} (a larger factor drives "
            f"activations past any scale the model was trained at: every option scores the same)"
        )
    return value


@dataclass(frozen=True)
class Condition:
    """One evaluation condition; no neurons = the unmodified model. Checked when built."""

    neurons: str | None = None
    op: str = "degrade"
    part: str = "both"
    scope: str = "answer"
    factor: float = EXCITE

    def __post_init__(self) -> None:
        if self.op not in OPERATORS:
            raise UserError(f"unknown intervention {self.op!r}: expected one of {', '.join(OPERATORS)}")
        if self.part not in PARTS:
            raise UserError(f"unknown part {self.part!r}: expected good, bad or both")
        if self.scope not in SCOPES:
            raise UserError(f"unknown scope {self.scope!r}: expected answer or all")
        object.__setattr__(self, "factor", parse_factor(self.factor))
        if self.op == "silence" and self.factor != EXCITE:
            raise UserError(
                f"silence multiplies by 0 and takes no factor (got @{factor_text(self.factor)}); "
                f"use excite-{self.part}@{factor_text(self.factor)}"
            )

    @classmethod
    def parse(cls, text: str, scope: str = "answer") -> Condition:
        """`original`, or `PATH:OP-PART[@FACTOR]` / `PATH:OP[@FACTOR]` (part both)."""
        if text == "original":
            return cls(None, scope=scope)
        path, sep, operation = text.rpartition(":")
        operation, at, factor = operation.partition("@")
        op, _, part = operation.partition("-")
        if not sep or not path or op not in OPERATORS or (part and part not in PARTS) or (at and not factor):
            raise UserError(
                f"condition {text!r}: expected 'original' or PATH:OP-PART[@FACTOR] with OP one of "
                f"{', '.join(OPERATORS)} and PART one of {', '.join(PARTS)}"
            )
        return cls(
            path, op, part or "both", scope, parse_factor(factor, f"condition {text!r}: factor") if at else EXCITE
        )

    @property
    def active(self) -> bool:
        return self.neurons is not None

    @property
    def default_factor(self) -> bool:
        return self.factor == EXCITE

    @property
    def suffix(self) -> str:
        """'' for the paper's ×2, else '@f': what labels, condition strings and keys append."""
        return "" if self.default_factor else f"@{factor_text(self.factor)}"

    @property
    def label(self) -> str:
        return "original" if not self.active else f"{self.op}/{self.part}{self.suffix}"

    @property
    def spec(self) -> str:
        """The command-line text of this condition (Condition.parse(c.spec) == c, scope aside)."""
        return "original" if not self.active else f"{self.neurons}:{self.op}-{self.part}{self.suffix}"

    def factors(self) -> tuple[float, float]:
        """(factor for good neurons, factor for bad neurons) of the operator."""
        return {
            "silence": (SILENCE, SILENCE),
            "excite": (self.factor, self.factor),
            "enhance": (self.factor, SILENCE),
            "degrade": (SILENCE, self.factor),
        }[self.op]

    def neuron_factors(self, neuron_set: Any) -> dict[tuple[int, int], float]:
        """{(layer, index): factor} this condition gives the neurons of `neuron_set` (a NeuronSet)."""
        good, bad = neuron_set.part(self.part)
        good_factor, bad_factor = self.factors()
        factors = {(n.layer, n.index): good_factor for n in good}
        factors.update({(n.layer, n.index): bad_factor for n in bad})
        return factors

    def checked_factors(self, neuron_set: Any, source: str) -> dict[tuple[int, int], float]:
        """neuron_factors, refusing a condition that changes no neuron (it would print a 0.0 cell)."""
        factors = self.neuron_factors(neuron_set)
        if not factors:
            side = self.part if self.part != "both" else "good or bad"
            raise UserError(f"{source}: {self.op}/{self.part} changes no neuron (the set has no {side} neurons)")
        return factors

    def identity(self, digest: str | None = None) -> dict[str, Any]:
        """What distinguishes this condition's scores (the neuron set by content): cache keys use it. A
        factor other than ×2 is a key of its own; at ×2 the identity is what it was before factors
        existed, so request caches written then stay valid (and cannot be mistaken for another factor)."""
        if not self.active:
            return {"neurons": None, "op": None, "part": None, "scope": None}
        identity = {"neurons": digest, "op": self.op, "part": self.part, "scope": self.scope}
        return identity if self.default_factor else identity | {"factor": self.factor}

    def record(self) -> dict[str, Any]:
        """The condition as evaluation files record it."""
        return {
            "neurons": self.neurons,
            "op": self.op,
            "part": self.part,
            "scope": self.scope,
            "factor": self.factor,
            "label": self.label,
        }


def path_suffix(factor: float) -> str:
    """The output-directory suffix of a factor: '' for ×2 (the paper's paths), '-x0.5' otherwise."""
    return "" if factor == EXCITE else f"-x{factor_text(factor)}"
