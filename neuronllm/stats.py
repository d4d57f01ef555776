"""Uncertainty of every effect a table prints: paired bootstrap intervals, McNemar's exact test, the null band.

An evaluation is a set of instances, each with 3 proxy answers (correct or not, and the option scores).
An intervention's effect is paired: the same proxies are answered before and after. So

  * intervals resample INSTANCES with replacement (an instance's 3 proxies move together, since
    comprehension is defined on them jointly), applying the same draw to the original and the
    intervened answers; the 95% interval is the 2.5/97.5 percentile of the resampled statistic;
  * McNemar's exact test counts discordant proxies: b = right before and wrong after, c = wrong before
    and right after; under no effect b ~ Binomial(b + c, 1/2); p = min(1, 2·P(X <= min(b, c)));
  * the gold-option probability of a proxy is softmax(option scores)[gold]: a continuous measure that
    moves when the argmax does not (small models, small samples);
  * the null band of a cell: the same statistic for RANDOM neuron sets of the same size (several
    seeds); its mean and 2.5/97.5 percentiles, and whether the method's estimate lies beyond them.

Signed relative change in the intended direction (in %, the quantity RAC/RCC print the size of):
    s = d · (x_int − x_orig) / x_orig · 100,   d = +1 for an enhancer, −1 for a degrader;
RAC = s when s >= 0, and the cell is "Fail" when s < 0 (the paper's definition).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

DIRECTION_SIGN = {"deg": -1.0, "enh": 1.0}
LEVEL = 0.95


@dataclass(frozen=True)
class Answers:
    """Per-instance arrays of one evaluation, instances in a fixed order.

    correct: [n_instances, proxies] bool; gold_prob: same shape, softmax(option scores)[gold].
    """

    correct: np.ndarray
    gold_prob: np.ndarray

    @property
    def acc(self) -> float:
        return float(self.correct.mean())

    @property
    def comprehension(self) -> float:
        return float((self.correct.sum(axis=1) >= 2).mean())


def softmax_gold(scores: Sequence[float], gold: int) -> float:
    """softmax over the options' log-likelihood scores, at the gold option."""
    values = np.asarray(scores, dtype=np.float64)
    values = np.exp(values - values.max())
    return float(values[gold] / values.sum())


def answers_from_predictions(predictions: Sequence[dict], order: Sequence[str] | None = None) -> Answers:
    """Answers from an evaluation file's predictions (instance_id, proxy, gold, correct, scores)."""
    by_instance: dict[str, dict[int, dict]] = {}
    for p in predictions:
        by_instance.setdefault(str(p["instance_id"]), {})[int(p["proxy"])] = p
    instances = list(order) if order is not None else sorted(by_instance)
    widths = {len(by_instance[i]) for i in instances}
    if len(widths) != 1:
        raise ValueError(f"instances have different numbers of proxies: {sorted(widths)}")
    correct = np.array([[bool(by_instance[i][k]["correct"]) for k in sorted(by_instance[i])] for i in instances])
    gold_prob = np.array(
        [[softmax_gold(by_instance[i][k]["scores"], int(by_instance[i][k]["gold"])) for k in sorted(by_instance[i])]
         for i in instances]
    )
    return Answers(correct, gold_prob)


def paired(original: Sequence[dict], intervened: Sequence[dict]) -> tuple[Answers, Answers]:
    """The two evaluations' answers on the same instances and proxies (refuses mismatched files)."""
    keys_o = {(str(p["instance_id"]), int(p["proxy"])) for p in original}
    keys_i = {(str(p["instance_id"]), int(p["proxy"])) for p in intervened}
    if keys_o != keys_i:
        raise ValueError("the two evaluations answered different proxies")
    order = sorted({k[0] for k in keys_o})
    return answers_from_predictions(original, order), answers_from_predictions(intervened, order)


def _draws(n: int, resamples: int, seed: int) -> np.ndarray:
    """[resamples, n] instance indices; the first row is the identity (the point estimate)."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(resamples, n))
    return np.vstack([np.arange(n)[None], draws])


def _statistics(answers: Answers, draws: np.ndarray) -> dict[str, np.ndarray]:
    """acc, comprehension and mean gold probability of every resample: [resamples + 1] each."""
    right = answers.correct.sum(axis=1)[draws]  # [R, n]
    proxies = answers.correct.shape[1]
    return {
        "acc": right.sum(axis=1) / (draws.shape[1] * proxies),
        "comprehension": (right >= 2).mean(axis=1),
        "gold_prob": answers.gold_prob.sum(axis=1)[draws].sum(axis=1) / (draws.shape[1] * proxies),
    }


def _interval(values: np.ndarray) -> tuple[float | None, float | None]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None, None
    low, high = np.percentile(finite, [100 * (1 - LEVEL) / 2, 100 * (1 + LEVEL) / 2])
    return float(low), float(high)


def signed_relative(original: np.ndarray, intervened: np.ndarray, direction: str) -> np.ndarray:
    """s = d·(x_int − x_orig)/x_orig·100 elementwise; NaN where x_orig = 0 (no relative scale)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        s = DIRECTION_SIGN[direction] * (intervened - original) / original * 100
    return np.where(original > 0, s, np.nan)


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant counts (b: right->wrong, c: wrong->right)."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, k) for k in range(min(b, c) + 1)) / 2**n
    return min(1.0, 2 * tail)


def effect_statistics(original: Answers, intervened: Answers, direction: str, resamples: int = 2000,
                      seed: int = 0) -> dict[str, float | int | None]:
    """Point estimates and paired-bootstrap 95% intervals of an intervention's effect.

    Keys: acc_delta, com_delta, gold_prob_delta (fractions), rac_signed, rcc_signed (%) and
    gold_prob_signed (percentage points; these three: intended direction positive), each with _low/_high; mcnemar_p with flips_lost (b) and flips_gained (c).
    """
    draws = _draws(original.correct.shape[0], resamples, seed)
    before, after = _statistics(original, draws), _statistics(intervened, draws)
    out: dict[str, float | int | None] = {}
    series = {
        "acc_delta": after["acc"] - before["acc"],
        "com_delta": after["comprehension"] - before["comprehension"],
        "gold_prob_delta": after["gold_prob"] - before["gold_prob"],
        "gold_prob_signed": DIRECTION_SIGN[direction] * (after["gold_prob"] - before["gold_prob"]) * 100,
        "rac_signed": signed_relative(before["acc"], after["acc"], direction),
        "rcc_signed": signed_relative(before["comprehension"], after["comprehension"], direction),
    }
    for name, values in series.items():
        point = values[0]
        out[name] = float(point) if np.isfinite(point) else None
        out[f"{name}_low"], out[f"{name}_high"] = _interval(values[1:])
    lost = int((original.correct & ~intervened.correct).sum())
    gained = int((~original.correct & intervened.correct).sum())
    out.update(flips_lost=lost, flips_gained=gained, mcnemar_p=mcnemar_exact(lost, gained))
    return out


def interval_of_scores(answers: Answers, resamples: int = 2000, seed: int = 0) -> dict[str, float | None]:
    """acc, comprehension and gold probability of one evaluation with bootstrap 95% intervals."""
    draws = _draws(answers.correct.shape[0], resamples, seed)
    stats = _statistics(answers, draws)
    out: dict[str, float | None] = {}
    for name, values in stats.items():
        out[name] = float(values[0])
        out[f"{name}_low"], out[f"{name}_high"] = _interval(values[1:])
    return out


def excludes_no_effect(low: float | None, high: float | None) -> bool:
    """The interval lies entirely on one side of 0 (and is defined)."""
    return low is not None and high is not None and (low > 0 or high < 0)


def null_band(values: Sequence[float | None]) -> dict[str, float | int | None]:
    """Mean and 2.5/97.5 percentiles of a statistic over the null sets (None values are dropped)."""
    finite = np.array([v for v in values if v is not None and math.isfinite(v)], dtype=np.float64)
    if finite.size == 0:
        return {"mean": None, "low": None, "high": None, "n": 0}
    low, high = np.percentile(finite, [100 * (1 - LEVEL) / 2, 100 * (1 + LEVEL) / 2])
    return {"mean": float(finite.mean()), "low": float(low), "high": float(high), "n": int(finite.size)}


def outside_null(value: float | None, band: dict, low: float | None = None) -> bool | None:
    """Beyond the null band's upper end in the intended direction (values are signed that way), and,
    where the effect's own interval is given (`low`), distinguishable from no effect as well; None when
    either is undefined."""
    if value is None or band.get("high") is None:
        return None
    return value > band["high"] and (low is None or low > 0)


def bias_diagnostics(predictions: Sequence[dict], resamples: int = 2000, seed: int = 0) -> dict[str, float | bool | str | None]:
    """How far the unmodified model's answers are from chance, and how much of them is one answer.

    chance: mean over proxies of 1/options. top_position_share: share of proxies given the most
    frequent answer position; top_answer_share: the same for the answer text (a label task's constant
    label). balanced_acc: mean over gold answers (texts; positions where every text is unique) of the
    accuracy on the proxies with that gold answer: a constant answer scores 1/classes, so an effect
    that only moves the answer bias does not read as ability. at_chance: the accuracy's 95% interval
    reaches chance.
    """
    from collections import Counter

    n = len(predictions)
    chance = float(np.mean([1 / len(p["scores"]) for p in predictions]))
    positions = Counter(int(p["prediction"]) for p in predictions)
    texts = Counter(str(p.get("predicted_text", p["prediction"])) for p in predictions)
    gold_texts = [str(p.get("gold_text", p["gold"])) for p in predictions]
    by_text = len(set(gold_texts)) < n  # labels repeat: a label task
    classes: dict[str, list[bool]] = {}
    for p, gold_text in zip(predictions, gold_texts):
        classes.setdefault(gold_text if by_text else str(p["gold"]), []).append(bool(p["correct"]))
    balanced = float(np.mean([np.mean(v) for v in classes.values()]))
    scores = interval_of_scores(answers_from_predictions(predictions), resamples, seed)
    top_answer, top_count = texts.most_common(1)[0]
    return {
        "chance": chance,
        "acc": scores["acc"],
        "acc_low": scores["acc_low"],
        "acc_high": scores["acc_high"],
        "balanced_acc": balanced,
        "balanced_over": "gold answer text" if by_text else "gold position",
        "top_position_share": positions.most_common(1)[0][1] / n,
        "top_answer": top_answer,
        "top_answer_share": top_count / n,
        "at_chance": scores["acc_low"] is not None and scores["acc_low"] <= chance,
    }
