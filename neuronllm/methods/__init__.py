"""The method registry: one record per identification method, read by the CLI, the config schema check,
the Snakemake rules and the report (tests/unit/test_registry.py checks they agree).

Every method has the same signature, `select(attributions, budget, seed, **options) -> (good, bad)`,
where good and bad are lists of (layer, index, score) ranked best first; identify.py wraps the result
in a NeuronSet with provenance. Adding a method = a module with `select` + one `Method` below
(docs/adding-a-method.md).
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from neuronllm.errors import UserError

if TYPE_CHECKING:
    from neuronllm.methods.ranking import Ranked


@dataclass(frozen=True)
class Method:
    name: str  # CLI / config name
    label: str  # table label
    needs: tuple[str, ...]  # attribution kinds it reads (attribution.KINDS)
    select: Callable
    has_bad: bool  # Table 1 intervenes on good + bad (NeuronLLM) rather than on the good set only
    ablation_label: str | None  # row label in the good/bad/both ablation; None: not in the ablation
    description: str
    min_instances: int = 1  # identification instances below which the method cannot select anything
    in_budget_table: bool = False  # a row of Table 7 (the paper compares NeuronLLM, TN and QRNCA over K)
    other_tasks: bool = False  # select also reads the other tasks' attributions (`others=`): a contrast of tasks

    @property
    def table1_part(self) -> str:
        """Which part of its neuron set Table 1's Deg/Enh change (the paper: baselines good only)."""
        return "both" if self.has_bad else "good"


def _select(module: str) -> Callable:
    """Import a method's module when it is used, not when the registry is read (Snakemake reads it)."""

    def select(*args: Any, **kwargs: Any) -> tuple[Ranked, Ranked]:
        import importlib

        return importlib.import_module(f"neuronllm.methods.{module}").select(*args, **kwargs)

    return select


METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method(
            "cni",
            "NeuronLLM",
            ("contrastive",),
            _select("cni"),
            True,
            "NeuronLLM",
            "NeuronLLM: contrastive IG, good and bad (eq. 4-5)",
            in_budget_table=True,
        ),
        Method(
            "tn",
            "TN",
            ("grad_x_act",),
            _select("tn"),
            False,
            "TN-enabled",
            "task-specific neurons: activation x gradient",
            in_budget_table=True,
        ),
        Method(
            "qrnca",
            "QRNCA",
            ("gold_prob",),
            _select("qrnca"),
            False,
            "QRNCA-enabled",
            "QRNCA: IG of P(gold), NA x ICA",
            min_instances=4,
            in_budget_table=True,
        ),  # occ > 0.3·N drops everything for N <= 3
        Method("kn", "KN", ("gold_prob",), _select("kn"), False, None, "knowledge neurons: IG of P(gold), thresholds"),
        Method("act", "ACT", ("activation",), _select("act"), False, None, "mean activation at the answer position"),
        Method(
            "diffmean",
            "DiffMean",
            ("activation",),
            _select("diffmean"),
            False,  # Table 1 changes its good side only, as every baseline's: K neurons, the budget of TN and QRNCA
            None,
            "forward only: mean activation on this task's proxies minus the other tasks'",
            other_tasks=True,
        ),
        Method("random", "RANDOM", (), _select("random_baseline"), False, None, "uniformly random neurons (seeded)"),
    )
}
METHOD_NAMES = tuple(METHODS)

# NeuronLLM, the paper's method, has roles no other method has: its sets are the ones the common ability
# neurons intersect (`common`), the specificity matrix's task rows, the layer figure and the transfer's
# good/bad sweep read. The plan, the rules and the reports name that role here, never by "cni"
# (tests/unit/test_registry.py checks it is a registered method with good and bad sets).
PAPER_METHOD = "cni"
CNI_TOP_Z = 1000  # CNI's per-instance top-z (eq. 5), the default of `--z` and of the config's `z`

# Neuron sets that are not identified by a method but derived from other sets; the report labels them.
DERIVED = {"common": ("Common ability neurons", "both"), "null": ("RANDOM null", "good")}


def get_method(name: str) -> Method:
    if name not in METHODS:
        close = difflib.get_close_matches(name, list(METHODS), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise UserError(f"unknown method {name!r} (known: {', '.join(METHOD_NAMES)}){hint}")
    return METHODS[name]


def label(name: str) -> str:
    """A method's (or derived set's) table label; unknown names print as themselves."""
    if name in METHODS:
        return METHODS[name].label
    return DERIVED.get(name, (name, ""))[0]


def table1_part(name: str) -> str:
    if name in METHODS:
        return METHODS[name].table1_part
    return DERIVED.get(name, ("", "good"))[1]


def budget_table_methods() -> tuple[str, ...]:
    """Table 7's rows, in registry order."""
    return tuple(n for n, m in METHODS.items() if m.in_budget_table)


def ablation_methods() -> dict[str, str]:
    return {n: m.ablation_label for n, m in METHODS.items() if m.ablation_label}


def attribution_kinds(methods: list[str] | tuple[str, ...]) -> list[str]:
    """What these methods read, each kind once, in registry order."""
    kinds: list[str] = []
    for name in METHODS:
        if name in methods:
            kinds += [k for k in METHODS[name].needs if k not in kinds]
    return kinds
