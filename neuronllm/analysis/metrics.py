"""Task metrics before and after an intervention: accuracy, comprehension, RAC / RCC and Fail.

Equations (paper, eq. 6 and 7), with Acc and Com as fractions in 0..1:
    RAC = |Acc_orig - Acc_int| / Acc_orig * 100
    RCC = |Com_orig - Com_int| / Com_orig * 100
Comprehension of an instance = at least 2 of its 3 proxy QAs answered correctly; Com = share of instances.
A cell is "Fail" when the intervention moved accuracy or comprehension the wrong way.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from neuronllm.errors import UserError

DIRECTIONS = ("deg", "enh")
FLOAT_NOISE = 1e-9  # an average of exactly cancelling changes may land at -1e-15; that is 0, not a Fail


def accuracy(correct: Sequence[bool]) -> float:
    """Share of proxy QAs answered correctly (each proxy counts once, not each instance)."""
    if len(correct) == 0:
        raise ValueError("accuracy of no answers is undefined")
    return sum(bool(c) for c in correct) / len(correct)


def comprehension(per_proxy: Iterable[tuple[str, bool]], min_correct: int = 2) -> float:
    """Share of instances with at least `min_correct` proxies right: guards against right-by-chance answers.

    `per_proxy` holds one (instance id, correct) pair per proxy QA; the proxies of an instance share its id.
    """
    right_per_instance: dict[str, int] = {}
    for instance_id, correct in per_proxy:
        right_per_instance[instance_id] = right_per_instance.get(instance_id, 0) + bool(correct)
    if not right_per_instance:
        raise ValueError("comprehension of no instances is undefined")
    understood = sum(right >= min_correct for right in right_per_instance.values())
    return understood / len(right_per_instance)


def relative_change(original: float, intervened: float) -> float:
    """|original - intervened| / original * 100 (eq. 6/7), in percent.

    A 0 baseline has no relative scale: it cannot be degraded (0.0 when nothing changed) and any rise from it
    is an unbounded relative change, returned as float('inf') rather than hidden behind an arbitrary number.
    """
    if original == 0:
        return 0.0 if intervened == 0 else math.inf
    return abs(original - intervened) / original * 100


def _check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise UserError(f"unknown direction {direction!r}: expected 'deg' or 'enh'")


def _wrong_way(delta: float, direction: str) -> bool:
    """A degrader must not raise the metric, an enhancer must not lower it; no change is not wrong."""
    return delta > 0 if direction == "deg" else delta < 0


def effect(original: dict, intervened: dict, direction: str) -> dict:
    """RAC/RCC of one intervention, and whether it Failed.

    `original` and `intervened` hold "acc" and "comprehension" as fractions. The deltas are intervened minus
    original (signed fractions). fail is True when accuracy OR comprehension moved against `direction`
    ("deg": rose; "enh": fell) — one metric going the wrong way is enough for the paper's "Fail"; an unchanged
    metric is not a failure (it reads 0.0).
    """
    _check_direction(direction)
    acc_delta = intervened["acc"] - original["acc"]
    com_delta = intervened["comprehension"] - original["comprehension"]
    return {
        "rac": relative_change(original["acc"], intervened["acc"]),
        "rcc": relative_change(original["comprehension"], intervened["comprehension"]),
        "acc_delta": acc_delta,
        "com_delta": com_delta,
        "fail": _wrong_way(acc_delta, direction) or _wrong_way(com_delta, direction),
    }


def signed(change: float, delta: float, direction: str) -> float:
    """A relative change with a sign: positive when it went the intended way (or not at all), negative otherwise."""
    return -change if _wrong_way(delta, direction) else change


def average_effect(effects: list[dict], direction: str) -> dict:
    """Average of several `effect` results (the tables' Average columns), as the paper computes it.

    rac/rcc are the means of the SIGNED relative changes (a task moved the wrong way counts negatively), so
    they are positive unless the wrong-way changes outweigh the rest; fail is True when either mean is negative
    (beyond float noise) or undefined (+inf and -inf cancelling). The paper's averages match this: Table 1,
    LLaMA 2-7B, QRNCA Deg averages to 30.3/31.5 with a Fail on Commonsense, which only signed means reproduce.
    Returned rac/rcc keep their sign.
    """
    _check_direction(direction)
    if not effects:
        raise ValueError("average of no effects is undefined")
    rac = sum(signed(e["rac"], e["acc_delta"], direction) for e in effects) / len(effects)
    rcc = sum(signed(e["rcc"], e["com_delta"], direction) for e in effects) / len(effects)
    fail = math.isnan(rac) or math.isnan(rcc) or rac < -FLOAT_NOISE or rcc < -FLOAT_NOISE
    return {"rac": rac, "rcc": rcc, "fail": fail, "n": len(effects)}
