"""When a table may mark a cell: the test against random neuron sets, the answer-shift gate, the
multiple-comparison rule, and the measured calibration of the mark.

A cell's effect x (a signed change, intended direction positive: rac_signed, rcc_signed or
gold_prob_signed) is compared with the same change under n null sets (uniform random neurons of the
same number per side), v_1..v_n:

  * the null band is the Student-t 95% prediction interval of a new null draw,
        mean(v) ± t(0.975; n−1) · sd(v) · sqrt(1 + 1/n),
    exact for normal draws whatever n (a rank band of 5 draws holds a sixth only 2/3 of the time);
  * the test of "x is beyond what random sets do" asks where x falls in that predictive distribution
    (under the null hypothesis the method's set is one more random set, evaluated on the same
    instances, so x is exchangeable with the draws):
        p_null = P(T_{n−1} >= (x − mean(v)) / (sd(v) · sqrt(1 + 1/n)));
  * the test of "x is an effect at all" is the one-sided bootstrap p of x <= 0 (stats.p_no_effect); it
    also guards the degenerate band (every null draw 0.0, sd 0, common for accuracy under 100 random
    neurons), where p_null is 0 for any x above the draws: a one-flip effect still has a large p_0;
  * a cell's p-value is max(p_null, p_0): both must hold (an intersection-union test, valid at the
    level of each);
  * answer shift: a cell whose accuracy moved the intended way while balanced accuracy (mean over gold
    answers) did not (stats: balanced_signed <= 0) changed *which* answer the model gives, not how
    often it is right; it gets no mark (accuracy nor comprehension) and is flagged. For P(gold) the
    same with balanced P(gold);
  * marks: Benjamini–Hochberg at FDR q = LEVEL over a table's cells of one measure (those with a
    p-value); a rejected cell that is not an answer shift gets †. BH thresholds never exceed q, so any
    marked cell also passes the per-cell test at q; the expected number of false marks is at most q
    times the number of BH rejections.
Calibration (printed under every table that marks): leave-one-null-out — each null draw treated as a
cell against the band of the other n − 1 draws, with its own p_0 — and RANDOM's cells:
the share that would pass the per-cell test at q should not exceed q.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import stats as scipy_stats

LEVEL = 0.025  # one-sided, per cell; also the FDR of the Benjamini–Hochberg step
MEASURES = ("rac_signed", "rcc_signed", "gold_prob_signed")
BALANCED_OF = {
    "rac_signed": "balanced_signed",
    "rcc_signed": "balanced_signed",
    "gold_prob_signed": "balanced_gold_prob_signed",
}
GATE_OF = {"rcc_signed": "rac_signed"}
MIN_NULL_SETS = 3  # a t prediction interval from 2 draws has 1 degree of freedom: refuse to mark on it


def _finite(values: Sequence[float | None]) -> np.ndarray:
    return np.array([v for v in values if v is not None and math.isfinite(v)], dtype=np.float64)


def prediction_band(values: Sequence[float | None]) -> dict[str, float | int | None]:
    """mean, sd and the 95% Student-t prediction interval (low, high) of a new null draw; n = draws used."""
    finite = _finite(values)
    n = int(finite.size)
    if n == 0:
        return {"mean": None, "sd": None, "low": None, "high": None, "n": 0}
    mean = float(finite.mean())
    if n < 2:
        return {"mean": mean, "sd": None, "low": None, "high": None, "n": n}
    sd = float(finite.std(ddof=1))
    half = float(scipy_stats.t.ppf(0.975, n - 1)) * sd * math.sqrt(1 + 1 / n)
    return {"mean": mean, "sd": sd, "low": mean - half, "high": mean + half, "n": n}


def p_beyond_null(value: float | None, band: dict[str, Any]) -> float | None:
    """One-sided p of the cell's effect against the null draws (module docstring); None when undefined
    (no effect, or fewer than MIN_NULL_SETS draws)."""
    if value is None or band.get("sd") is None or band["n"] < MIN_NULL_SETS:
        return None
    n = band["n"]
    spread = band["sd"] * math.sqrt(1 + 1 / n)
    if spread == 0:
        return 0.0 if value > band["mean"] else 1.0
    return float(scipy_stats.t.sf((value - band["mean"]) / spread, n - 1))


def answer_shift(entry: dict[str, Any], measure: str) -> bool:
    """The measure moved the intended way, balanced over gold answers it did not (module docstring).
    Comprehension has no balanced version of its own: its flag is the accuracy's."""
    measure = GATE_OF.get(measure, measure)
    value, balanced = entry.get(measure), entry.get(BALANCED_OF[measure])
    return value is not None and value > 0 and balanced is not None and balanced <= 0


def cell_test(entry: dict[str, Any], null_draws: Sequence[dict[str, Any]], measure: str) -> dict[str, Any]:
    """The band, p-values and the per-cell verdict of one condition for one measure."""
    band = prediction_band([d.get(measure) for d in null_draws])
    p_null = p_beyond_null(entry.get(measure), band)
    p_zero = entry.get(f"{measure}_p0")
    p = None if p_null is None or p_zero is None else max(p_null, p_zero)
    shift = answer_shift(entry, measure)
    return band | {
        "p_null": p_null,
        "p_zero": p_zero,
        "p": p,
        "answer_shift": shift,
        "passes": p is not None and p <= LEVEL and not shift,
    }


def benjamini_hochberg(pvalues: Sequence[float | None], q: float = LEVEL) -> list[bool]:
    """Which hypotheses BH rejects at FDR q (None: not tested, never rejected)."""
    tested = [(p, i) for i, p in enumerate(pvalues) if p is not None]
    m = len(tested)
    rejected = [False] * len(pvalues)
    if m == 0:
        return rejected
    ranked = sorted(tested)
    cutoff = 0
    for rank, (p, _) in enumerate(ranked, start=1):
        if p <= q * rank / m:
            cutoff = rank
    for _, i in ranked[:cutoff]:
        rejected[i] = True
    return rejected


DRAW_KEYS = tuple(k for m in MEASURES for k in (m, f"{m}_se", f"{m}_p0")) + (
    "balanced_signed",
    "balanced_gold_prob_signed",
)
# (_se is not used by the test; it is kept so a reader of metrics.json sees each draw's own sampling noise)


def draw_record(entry: dict[str, Any]) -> dict[str, Any]:
    """What a metrics file keeps of one null draw: enough to test it against the others."""
    return {k: entry.get(k) for k in DRAW_KEYS}


def leave_one_out(draws: Sequence[dict[str, Any]], measure: str) -> tuple[int, int]:
    """(passing, tested): each draw tested as a cell against the band of the others."""
    passing = tested = 0
    for i, draw in enumerate(draws):
        others = [d for j, d in enumerate(draws) if j != i]
        verdict = cell_test(draw, others, measure)
        if verdict["p"] is None:
            continue
        tested += 1
        passing += bool(verdict["passes"])
    return passing, tested


def rate_text(passing: int, tested: int) -> str:
    return f"{passing}/{tested} ({100 * passing / tested:.1f}%)" if tested else "0/0 (n/a)"
