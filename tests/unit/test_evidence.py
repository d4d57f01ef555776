"""The evidence behind a † (neuronllm/analysis/evidence.py): the null band's coverage on synthetic nulls of known
distribution, the answer-shift gate on a constructed bias shift, Benjamini-Hochberg against a
hand-computed example, and the leave-one-null-out calibration."""

import numpy as np
import pytest

from neuronllm.analysis.evidence import (
    LEVEL,
    answer_shift,
    benjamini_hochberg,
    cell_test,
    leave_one_out,
    p_beyond_null,
    prediction_band,
)
from neuronllm.analysis.stats import answers_from_predictions, effect_statistics, paired


@pytest.mark.parametrize("n", [3, 5, 10])
def test_prediction_band_holds_a_new_draw_at_its_level(n):
    """Normal nulls: a new draw lands above the band's upper end 2.5% of the time, for any n (the
    rank band of the last release, min..max of 5 draws, is left 1/3 of the time: PITFALLS)."""
    rng = np.random.default_rng(n)
    trials = 6000
    draws = rng.normal(3.0, 2.0, size=(trials, n + 1))
    above = 0
    for row in draws:
        band = prediction_band(row[:n].tolist())
        above += row[n] > band["high"]
    assert above / trials == pytest.approx(0.025, abs=0.007)  # 3.5 binomial SEs


def test_p_beyond_null_is_uniform_under_the_null():
    rng = np.random.default_rng(1)
    n, trials = 5, 6000
    draws = rng.normal(0.0, 1.0, size=(trials, n + 1))
    p = np.array([p_beyond_null(row[n], prediction_band(row[:n].tolist())) for row in draws])
    assert (p <= LEVEL).mean() == pytest.approx(LEVEL, abs=0.007)
    assert (p <= 0.5).mean() == pytest.approx(0.5, abs=0.03)


def test_a_degenerate_band_is_guarded_by_the_cells_own_interval():
    """Every null draw 0.0 (100 random neurons often change no answer): p_null is 0 for any effect above
    0, so the mark rests on p_0, the cell's own bootstrap test; one flipped proxy is not enough."""
    draws = [{"rac_signed": 0.0, "rac_signed_p0": 1.0} for _ in range(5)]
    one_flip = cell_test({"rac_signed": 1.2, "rac_signed_p0": 0.35}, draws, "rac_signed")
    assert one_flip["p_null"] == 0.0 and one_flip["p"] == pytest.approx(0.35) and not one_flip["passes"]


def test_no_test_on_too_few_null_sets():
    band = prediction_band([0.1, 0.2])
    assert band["n"] == 2 and p_beyond_null(5.0, band) is None
    assert prediction_band([None])["mean"] is None


def test_benjamini_hochberg_by_hand():
    # m = 8, q = 0.05: thresholds k·q/m = 0.00625, 0.0125, 0.01875, ...; the largest k with p_(k) <= k·q/m is 2
    p = [0.205, 0.001, 0.039, 0.008, 0.041, 0.042, 0.06, 0.074]
    assert benjamini_hochberg(p, 0.05) == [False, True, False, True, False, False, False, False]
    # a later p under its threshold rejects every smaller one (step-up): 0.03 <= 3·0.05/3
    assert benjamini_hochberg([0.04, 0.03, 0.05], 0.05) == [True, True, True]
    assert benjamini_hochberg([None, 0.001], 0.05) == [False, True]
    assert benjamini_hochberg([], 0.05) == []


def label_rows(answers_by_instance, golds_by_instance):
    """A 2-option label task: each proxy's gold label text and the label the model answered."""
    rows = []
    for i, (answers, golds) in enumerate(zip(answers_by_instance, golds_by_instance)):
        for proxy, (answer, gold_text) in enumerate(zip(answers, golds)):
            options = ["noun phrase", "verb phrase"]
            rows.append(
                {
                    "instance_id": f"e:{i}",
                    "proxy": proxy,
                    "gold": options.index(gold_text),
                    "prediction": options.index(answer),
                    "correct": answer == gold_text,
                    "scores": [0.0, -1.0] if answer == options[0] else [-1.0, 0.0],
                    "gold_text": gold_text,
                    "predicted_text": answer,
                }
            )
    return rows


def test_an_answer_shift_raises_accuracy_lowers_balanced_accuracy_and_is_flagged():
    """The chunking example in small: 3/4 of the gold answers are 'noun phrase'; the unmodified model
    answers 1/3 of the noun phrases and every verb phrase right (accuracy 50%, balanced 2/3); the
    intervened one answers 'noun phrase' always. Accuracy rises (50% -> 75%), balanced accuracy falls to
    50% = 1/classes: flagged, never marked."""
    golds = [
        [["noun phrase", "noun phrase", "noun phrase", "verb phrase"][(3 * i + k) % 4] for k in range(3)]
        for i in range(40)
    ]
    before = [
        [
            g if (3 * i + k) % 4 in (0, 3) else ("verb phrase" if g == "noun phrase" else "noun phrase")
            for k, g in enumerate(gold)
        ]
        for i, gold in enumerate(golds)
    ]
    after = [["noun phrase"] * 3 for _ in golds]
    original, intervened = paired(label_rows(before, golds), label_rows(after, golds))
    stats = effect_statistics(original, intervened, "enh", resamples=500)
    assert stats["acc_delta"] > 0.2
    assert stats["balanced_signed"] < 0 and stats["balanced_acc"] == pytest.approx(0.5)
    assert stats["top_answer"] == "noun phrase" and stats["top_answer_share"] == pytest.approx(1.0)
    assert stats["answer_tv"] == pytest.approx(0.75)  # "noun phrase" answered 25% -> 100% of the time
    entry = stats | {"rac_signed": 50.0}
    assert answer_shift(entry, "rac_signed")
    draws = [{"rac_signed": v, "rac_signed_se": 0.1, "rac_signed_p0": 0.5} for v in (-1.0, 0.0, 1.0, 0.5, -0.5)]
    verdict = cell_test(entry | {"rac_signed_se": 1.0, "rac_signed_p0": 0.001}, draws, "rac_signed")
    assert verdict["p"] < LEVEL and verdict["answer_shift"] and not verdict["passes"]
    assert answer_shift(entry | {"rcc_signed": 30.0}, "rcc_signed")  # comprehension carries accuracy's flag
    assert not answer_shift(entry | {"rac_signed": -5.0, "rcc_signed": 30.0}, "rcc_signed")


def test_balanced_accuracy_over_gold_positions_where_texts_are_unique():
    """Commonsense-like: every gold text unique, so classes are gold positions; a model that always picks
    position 0 scores 1/positions balanced, whatever share of golds sit at 0."""
    rows = []
    for i in range(30):
        gold = 0 if i < 20 else 1
        rows.append(
            {
                "instance_id": f"e:{i}",
                "proxy": 0,
                "gold": gold,
                "prediction": 0,
                "correct": gold == 0,
                "scores": [0.0, -1.0],
                "gold_text": f"answer {i}",
                "predicted_text": f"answer {i}" if gold == 0 else "x",
            }
        )
    answers = answers_from_predictions(rows)
    assert answers.keys == ("0", "1")
    from neuronllm.analysis.stats import interval_of_scores

    scores = interval_of_scores(answers, resamples=200)
    assert scores["acc"] == pytest.approx(20 / 30) and scores["balanced_acc"] == pytest.approx(0.5)


def test_leave_one_out_counts_each_draw_against_the_others():
    draws = [{"rac_signed": v, "rac_signed_se": 0.0, "rac_signed_p0": 0.001} for v in (0.0, 0.1, -0.1, 0.05, 10.0)]
    passing, tested = leave_one_out(draws, "rac_signed")
    assert tested == 5 and passing == 1  # only the outlier is beyond the others' band
    calm = [{"rac_signed": v, "rac_signed_se": 0.0, "rac_signed_p0": 0.5} for v in (0.0, 0.1, -0.1, 0.05, 10.0)]
    assert leave_one_out(calm, "rac_signed") == (0, 5)  # no effect by its own interval: no mark


def test_loo_calibration_of_the_cell_test_on_synthetic_nulls():
    """Many groups of 5 exchangeable normal null draws, each with its own bootstrap p_0: the share passing
    the per-cell test against the others stays at or below the level."""
    rng = np.random.default_rng(7)
    passing = tested = 0
    for _ in range(1000):
        values = rng.normal(0.5, 1.0, size=5)
        draws = [
            {"rac_signed": float(v), "rac_signed_se": 0.8, "rac_signed_p0": float(0.5 * np.exp(-max(v, 0)))}
            for v in values
        ]
        p, t = leave_one_out(draws, "rac_signed")
        passing, tested = passing + p, tested + t
    assert passing / tested <= LEVEL
