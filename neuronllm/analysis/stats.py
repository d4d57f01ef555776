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
  * balanced accuracy: the mean over gold answers (the gold answer text in a label task, the gold
    position where every gold text is unique) of the accuracy on the proxies with that gold answer,
    resampled the same way: a constant answer scores 1/classes, so a shift of the answer bias that
    raises accuracy does not raise it (evidence.py uses it to flag "answer shift" cells);
  * the predicted-answer distribution (same keys): its total variation between two evaluations and the
    change of the original's top answer's share;
  * the null band and the test against it are in evidence.py.

Signed relative change in the intended direction (in %, the quantity RAC/RCC print the size of):
    s = d · (x_int − x_orig) / x_orig · 100,   d = +1 for an enhancer, −1 for a degrader;
RAC = s when s >= 0, and the cell is "Fail" when s < 0 (the paper's definition).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

DIRECTION_SIGN = {"deg": -1.0, "enh": 1.0}
LEVEL = 0.95


@dataclass(frozen=True)
class Answers:
    """Per-instance arrays of one evaluation, instances in a fixed order.

    correct: [n_instances, proxies] bool; gold_prob: same shape, softmax(option scores)[gold];
    gold_key / predicted_key: same shape, int index into `keys` (the answer's class: its text in a label
    task, its position otherwise; see answer_keying).
    """

    correct: np.ndarray
    gold_prob: np.ndarray
    gold_key: np.ndarray | None = None
    predicted_key: np.ndarray | None = None
    keys: tuple[str, ...] = ()

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


def _text(p: Mapping[str, Any], key: str, position: str) -> str:
    text = p.get(key)
    return str(p[position]) if text is None else str(text)


def answer_keying(predictions: Sequence[Mapping[str, Any]]) -> bool:
    """True: answers are classed by their text (a label task: a few gold texts shared by many instances);
    False: by their position (gold texts mostly unique per instance, as in commonsense QA, where a text
    class would hold one instance's proxies). Rule: text when the instances have at most half as many
    distinct gold texts as there are instances (the 3 proxies of an instance share its gold text)."""
    per_instance = {str(p["instance_id"]): _text(p, "gold_text", "gold") for p in predictions}
    return len(set(per_instance.values())) <= len(per_instance) / 2


def _answer_key(p: Mapping[str, Any], by_text: bool, gold: bool) -> str:
    if gold:
        return _text(p, "gold_text", "gold") if by_text else str(int(p["gold"]))
    return _text(p, "predicted_text", "prediction") if by_text else str(int(p["prediction"]))


def answers_from_predictions(
    predictions: Sequence[Mapping[str, Any]],
    order: Sequence[str] | None = None,
    by_text: bool | None = None,
    keys: Sequence[str] | None = None,
) -> Answers:
    """Answers from an evaluation file's predictions (instance_id, proxy, gold, correct, scores, and the
    gold/predicted texts). `by_text` and `keys` fix the answer classes (paired evaluations share them)."""
    by_instance: dict[str, dict[int, Mapping[str, Any]]] = {}
    for p in predictions:
        by_instance.setdefault(str(p["instance_id"]), {})[int(p["proxy"])] = p
    instances = list(order) if order is not None else sorted(by_instance)
    widths = {len(by_instance[i]) for i in instances}
    if len(widths) != 1:
        raise ValueError(f"instances have different numbers of proxies: {sorted(widths)}")
    rows = [[by_instance[i][k] for k in sorted(by_instance[i])] for i in instances]
    correct = np.array([[bool(p["correct"]) for p in row] for row in rows])
    gold_prob = np.array([[softmax_gold(p["scores"], int(p["gold"])) for p in row] for row in rows])
    if by_text is None:
        by_text = answer_keying(predictions)
    if keys is None:
        keys = sorted({_answer_key(p, by_text, gold) for p in predictions for gold in (True, False)})
    index = {k: i for i, k in enumerate(keys)}
    gold_key = np.array([[index[_answer_key(p, by_text, True)] for p in row] for row in rows])
    predicted_key = np.array([[index[_answer_key(p, by_text, False)] for p in row] for row in rows])
    return Answers(correct, gold_prob, gold_key, predicted_key, tuple(keys))


def paired(original: Sequence[Mapping[str, Any]], intervened: Sequence[Mapping[str, Any]]) -> tuple[Answers, Answers]:
    """The two evaluations' answers on the same instances and proxies (refuses mismatched files), with
    one answer keying (decided by the original) and one set of answer classes."""
    keys_o = {(str(p["instance_id"]), int(p["proxy"])) for p in original}
    keys_i = {(str(p["instance_id"]), int(p["proxy"])) for p in intervened}
    if keys_o != keys_i:
        raise ValueError("the two evaluations answered different proxies")
    gold_o = {(str(p["instance_id"]), int(p["proxy"])): int(p["gold"]) for p in original}
    if any(gold_o[(str(p["instance_id"]), int(p["proxy"]))] != int(p["gold"]) for p in intervened):
        raise ValueError("the two evaluations have different gold answers")
    order = sorted({k[0] for k in keys_o})
    by_text = answer_keying(original)
    keys = sorted({_answer_key(p, by_text, gold) for p in [*original, *intervened] for gold in (True, False)})
    return (
        answers_from_predictions(original, order, by_text, keys),
        answers_from_predictions(intervened, order, by_text, keys),
    )


def _draws(n: int, resamples: int, seed: int) -> np.ndarray:
    """[resamples, n] instance indices; the first row is the identity (the point estimate)."""
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, n, size=(resamples, n))
    return np.vstack([np.arange(n)[None], draws])


def _per_key(values: np.ndarray, keys: np.ndarray, n_keys: int) -> np.ndarray:
    """[n_instances, n_keys]: the sum of `values` over each instance's proxies with each key."""
    out = np.zeros((values.shape[0], n_keys))
    np.add.at(out, (np.repeat(np.arange(values.shape[0]), values.shape[1]), keys.ravel()), values.ravel())
    return out


def _class_mean(per_instance: np.ndarray, totals: np.ndarray, draws: np.ndarray) -> np.ndarray:
    """Mean over the classes present in each resample of (sum of values / proxies) per class: [R]."""
    sums, counts = per_instance[draws].sum(axis=1), totals[draws].sum(axis=1)  # [R, K]
    with np.errstate(divide="ignore", invalid="ignore"):
        rates = np.where(counts > 0, sums / counts, np.nan)
    return np.nanmean(rates, axis=1)


def _statistics(answers: Answers, draws: np.ndarray) -> dict[str, np.ndarray]:
    """acc, comprehension, mean gold probability, and (with answer keys) balanced accuracy, balanced gold
    probability and the predicted-answer distribution of every resample: [resamples + 1] ([.., keys])."""
    right = answers.correct.sum(axis=1)[draws]  # [R, n]
    proxies = answers.correct.shape[1]
    out = {
        "acc": right.sum(axis=1) / (draws.shape[1] * proxies),
        "comprehension": (right >= 2).mean(axis=1),
        "gold_prob": answers.gold_prob.sum(axis=1)[draws].sum(axis=1) / (draws.shape[1] * proxies),
    }
    if answers.gold_key is not None and answers.predicted_key is not None:  # set together (answer_arrays)
        n_keys = len(answers.keys)
        totals = _per_key(np.ones_like(answers.gold_prob), answers.gold_key, n_keys)
        out["balanced_acc"] = _class_mean(
            _per_key(answers.correct.astype(float), answers.gold_key, n_keys), totals, draws
        )
        out["balanced_gold_prob"] = _class_mean(_per_key(answers.gold_prob, answers.gold_key, n_keys), totals, draws)
        predicted = _per_key(np.ones_like(answers.gold_prob), answers.predicted_key, n_keys)[draws].sum(axis=1)
        out["answer_share"] = predicted / (draws.shape[1] * proxies)  # [R, keys]
    return out


def _interval(values: np.ndarray) -> tuple[float | None, float | None]:
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None, None
    low, high = np.percentile(finite, [100 * (1 - LEVEL) / 2, 100 * (1 + LEVEL) / 2])
    return float(low), float(high)


def _spread(values: np.ndarray) -> float | None:
    """The bootstrap standard error: the SD of the resampled statistic."""
    finite = values[np.isfinite(values)]
    return float(finite.std(ddof=1)) if finite.size > 1 else None


def p_no_effect(values: np.ndarray) -> float | None:
    """One-sided bootstrap p-value of 'no effect in the intended direction': (1 + #resamples <= 0) / (R + 1)
    (values are signed so that the intended direction is positive)."""
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return None
    return float((1 + (finite <= 0).sum()) / (finite.size + 1))


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


def effect_statistics(
    original: Answers, intervened: Answers, direction: str, resamples: int = 2000, seed: int = 0
) -> dict[str, float | int | str | None]:
    """Point estimates and paired-bootstrap 95% intervals of an intervention's effect.

    Keys: acc_delta, com_delta, gold_prob_delta (fractions), rac_signed, rcc_signed (%) and
    gold_prob_signed (percentage points; these three: intended direction positive), each with _low/_high;
    mcnemar_p with flips_lost (b) and flips_gained (c). With answer keys (stats.paired): balanced_acc
    (after) and balanced_signed / balanced_gold_prob_signed (percentage points, intended direction
    positive), answer_tv (total variation between the predicted-answer distributions, 0..1) and
    top_answer_share_delta (the change of the original's most frequent answer's share, fraction), with
    intervals. The signed measures also carry _se (bootstrap SD) and _p0 (one-sided p of no effect).
    """
    draws = _draws(original.correct.shape[0], resamples, seed)
    before, after = _statistics(original, draws), _statistics(intervened, draws)
    sign = DIRECTION_SIGN[direction]
    out: dict[str, float | int | str | None] = {}
    series = {
        "acc_delta": after["acc"] - before["acc"],
        "com_delta": after["comprehension"] - before["comprehension"],
        "gold_prob_delta": after["gold_prob"] - before["gold_prob"],
        "gold_prob_signed": sign * (after["gold_prob"] - before["gold_prob"]) * 100,
        "rac_signed": signed_relative(before["acc"], after["acc"], direction),
        "rcc_signed": signed_relative(before["comprehension"], after["comprehension"], direction),
    }
    if "balanced_acc" in before:
        share_before, share_after = before["answer_share"], after["answer_share"]
        top = int(np.argmax(share_before[0]))
        series |= {
            "balanced_acc_delta": after["balanced_acc"] - before["balanced_acc"],
            "balanced_signed": sign * (after["balanced_acc"] - before["balanced_acc"]) * 100,
            "balanced_gold_prob_signed": sign * (after["balanced_gold_prob"] - before["balanced_gold_prob"]) * 100,
            "answer_tv": 0.5 * np.abs(share_after - share_before).sum(axis=1),
            "top_answer_share_delta": share_after[:, top] - share_before[:, top],
        }
        out["balanced_acc"] = float(after["balanced_acc"][0])
        out["balanced_acc_original"] = float(before["balanced_acc"][0])
        out["top_answer_original"] = original.keys[top]
        out["top_answer"] = original.keys[int(np.argmax(share_after[0]))]
        out["top_answer_share"] = float(share_after[0].max())
    for name, values in series.items():
        point = values[0]
        out[name] = float(point) if np.isfinite(point) else None
        out[f"{name}_low"], out[f"{name}_high"] = _interval(values[1:])
        if name.endswith("_signed"):
            out[f"{name}_se"] = _spread(values[1:])
            out[f"{name}_p0"] = p_no_effect(values[1:])
    lost = int((original.correct & ~intervened.correct).sum())
    gained = int((~original.correct & intervened.correct).sum())
    out.update(flips_lost=lost, flips_gained=gained, mcnemar_p=mcnemar_exact(lost, gained))
    return out


def effect_draws(
    original: Answers, intervened: Answers, direction: str, resamples: int = 2000, seed: int = 0
) -> dict[str, np.ndarray]:
    """rac_signed and acc_delta of the point estimate and of every resample ([resamples + 1]), on
    effect_statistics' draws. Two effects measured on the same instances in the same order (same n,
    same seed) share every resample, so a statistic of both (transfer.py's share of the proxy effect
    that survives in another format) gets a joint paired interval."""
    draws = _draws(original.correct.shape[0], resamples, seed)
    before, after = _statistics(original, draws), _statistics(intervened, draws)
    return {
        "rac_signed": signed_relative(before["acc"], after["acc"], direction),
        "acc_delta": after["acc"] - before["acc"],
    }


def percentile_interval(values: np.ndarray) -> tuple[float | None, float | None]:
    """The 95% percentile interval of resampled values (the non-finite ones left out)."""
    return _interval(values)


def interval_of_scores(answers: Answers, resamples: int = 2000, seed: int = 0) -> dict[str, float | None]:
    """acc, comprehension, gold probability (and, with answer keys, balanced accuracy and balanced gold
    probability) of one evaluation with bootstrap 95% intervals."""
    draws = _draws(answers.correct.shape[0], resamples, seed)
    stats = _statistics(answers, draws)
    out: dict[str, float | None] = {}
    for name, values in stats.items():
        if values.ndim != 1:
            continue  # the answer distribution
        out[name] = float(values[0])
        out[f"{name}_low"], out[f"{name}_high"] = _interval(values[1:])
    return out


def excludes_no_effect(low: float | None, high: float | None) -> bool:
    """The interval lies entirely on one side of 0 (and is defined)."""
    return low is not None and high is not None and (low > 0 or high < 0)


def bias_diagnostics(
    predictions: Sequence[Mapping[str, Any]], resamples: int = 2000, seed: int = 0
) -> dict[str, float | bool | str | None]:
    """How far the unmodified model's answers are from chance, and how much of them is one answer.

    chance: mean over proxies of 1/options. majority_rate: the accuracy of always giving the most
    frequent gold answer (its share of the proxies; chunking's "noun phrase" is half of them).
    top_position_share / top_answer_share: share of proxies given the most frequent answer position /
    answer (text in a label task). balanced_acc (with its interval): mean over gold answers (texts;
    positions where every text is unique) of the accuracy on the proxies with that gold answer: a
    constant answer scores 1/classes, so an effect that only moves the answer bias does not read as
    ability. at_chance ("not above chance"): the accuracy's 95% interval reaches the larger of chance
    and the majority rate, or the balanced accuracy's interval reaches chance.
    """
    from collections import Counter

    n = len(predictions)
    chance = float(np.mean([1 / len(p["scores"]) for p in predictions]))
    positions = Counter(int(p["prediction"]) for p in predictions)
    by_text = answer_keying(predictions)
    predicted = Counter(_answer_key(p, True, gold=False) for p in predictions)
    gold = Counter(_answer_key(p, by_text, gold=True) for p in predictions)
    scores = interval_of_scores(answers_from_predictions(predictions, by_text=by_text), resamples, seed)
    top_answer, top_count = predicted.most_common(1)[0]
    majority_answer, majority_count = gold.most_common(1)[0]
    majority = majority_count / n
    if not by_text:
        majority_answer = f"position {majority_answer}"
    acc_at_chance = scores["acc_low"] is not None and scores["acc_low"] <= max(chance, majority)
    balanced_at_chance = scores["balanced_acc_low"] is not None and scores["balanced_acc_low"] <= chance
    return {
        "chance": chance,
        "acc": scores["acc"],
        "acc_low": scores["acc_low"],
        "acc_high": scores["acc_high"],
        "balanced_acc": scores["balanced_acc"],
        "balanced_acc_low": scores["balanced_acc_low"],
        "balanced_acc_high": scores["balanced_acc_high"],
        "balanced_over": "gold answer text" if by_text else "gold position",
        "majority_answer": majority_answer,
        "majority_rate": majority,
        "top_position_share": positions.most_common(1)[0][1] / n,
        "top_answer": top_answer,
        "top_answer_share": top_count / n,
        "at_chance": acc_at_chance or balanced_at_chance,
    }
