"""Identification methods: each turns per-proxy scores (attribution.py) into ranked good/bad neurons.

Every method has the same signature, `select(attributions, budget, seed, **options) -> (good, bad)`,
where good and bad are lists of (layer, index, score) ranked best first; identify.py wraps the result
in a NeuronSet with provenance.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

from neuronllm.errors import UserError


@dataclass(frozen=True)
class Method:
    name: str
    needs: tuple[str, ...]  # attribution kinds it reads
    select: Callable
    description: str


def _registry() -> dict[str, Method]:
    from neuronllm.methods import act, cni, kn, qrnca, random_baseline, tn

    methods = [
        Method("cni", ("contrastive",), cni.select, "NeuronLLM: contrastive IG, good and bad (eq. 4-5)"),
        Method("tn", ("grad_x_act",), tn.select, "task-specific neurons: activation x gradient"),
        Method("qrnca", ("gold_prob",), qrnca.select, "QRNCA: IG of P(gold), NA x ICA"),
        Method("kn", ("gold_prob",), kn.select, "knowledge neurons: IG of P(gold), thresholds"),
        Method("act", ("activation",), act.select, "mean activation at the answer position"),
        Method("random", (), random_baseline.select, "uniformly random neurons (seeded)"),
    ]
    return {m.name: m for m in methods}


METHOD_NAMES = ("cni", "tn", "qrnca", "kn", "act", "random")


def get_method(name: str) -> Method:
    registry = _registry()
    if name not in registry:
        close = difflib.get_close_matches(name, list(registry), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UserError(f"unknown method {name!r} (known: {', '.join(METHOD_NAMES)}){hint}")
    return registry[name]
