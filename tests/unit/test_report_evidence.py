"""Marks that mean what they say, end to end from evaluations to Table 1 (neuronllm/analysis/metrics_files.py ->
neuronllm/report/): a real effect is marked †, an answer-bias shift is flagged and never marked or bold,
Benjamini-Hochberg runs over the table's cells, the equal-budget row reads the K-good conditions, and the
caption prints the measured calibration."""

import numpy as np
import pytest
from evaluations import SETTINGS, null_evaluation, prediction
from evaluations import evaluation as build

from neuronllm import report
from neuronllm.analysis.metrics_files import build_metrics
from neuronllm.report.cells import ANSWER_SHIFT, OUTSIDE_NULL

LABELS = ["noun phrase", "verb phrase"]
N = 40


def gold_of(i, k):
    return LABELS[0] if (3 * i + k) % 4 != 3 else LABELS[1]  # 3/4 noun phrases


def evaluation(answer, op=None, part="both", neurons="set.json", null_index=None):
    """answer(i, k, gold) -> the label the model gives; 2 options, gold position alternating
    (tests/evaluations.py builds the file)."""
    predictions = []
    for i in range(N):
        for k in range(3):
            gold_text = gold_of(i, k)
            other = LABELS[1 - LABELS.index(gold_text)]
            options = [gold_text, other] if k % 2 == 0 else [other, gold_text]
            predictions.append(prediction(i, k, options, gold_text, answer(i, k, gold_text)))
    settings = SETTINGS | {"task": "chunking", "eval_instances": N}
    if null_index is not None:
        return null_evaluation(predictions, null_index, op, part) | {"settings": settings, "task": "chunking"}
    return build(predictions, op, part, settings, neurons)


def original_answer(i, k, gold):
    return gold if (3 * i + k) % 4 in (0, 3) else LABELS[1 - LABELS.index(gold)]  # acc 50%, balanced 2/3


def flipped(base, flips):
    """The original's answers with the proxies in `flips` answered the other way (a null set's noise)."""
    return lambda i, k, gold: LABELS[1 - LABELS.index(base(i, k, gold))] if (i, k) in flips else base(i, k, gold)


@pytest.fixture(scope="module")
def tables():
    rng = np.random.default_rng(0)
    original = evaluation(original_answer)
    nulls = []
    for index in range(5):
        flips = {(int(i), int(k)) for i, k in zip(rng.integers(0, N, 2), rng.integers(0, 3, 2))}
        for op in ("degrade", "enhance"):
            for part in ("both", "good"):
                nulls.append(evaluation(flipped(original_answer, flips), op, part, null_index=index))

    def wrong(i, k, gold):  # a real degrader: every answer wrong
        return LABELS[1 - LABELS.index(gold)]

    def noun(i, k, gold):  # an answer shift: always "noun phrase"
        return LABELS[0]

    def right(i, k, gold):
        return gold if (i + k) % 5 else original_answer(i, k, gold)

    cni = [
        evaluation(wrong, "degrade"),
        evaluation(noun, "enhance"),
        evaluation(wrong, "degrade", "good"),
        evaluation(right, "enhance", "good"),
    ]
    metrics = [build_metrics(original, cni, {"method": "cni", "budget": 100}, nulls, resamples=400)]
    good_nulls = [n for n in nulls if n["condition"]["part"] == "good"]  # the nulls of the baselines' conditions
    for method, seed in (("tn", 1), ("random", 2)):
        conditions = []
        for op in ("degrade", "enhance"):
            flips = {(int(i), int(k)) for i, k in zip(np.random.default_rng(seed).integers(0, N, 2), range(2))}
            conditions.append(evaluation(flipped(original_answer, flips), op, "good"))
        metrics.append(
            build_metrics(original, conditions, {"method": method, "budget": 100}, good_nulls, resamples=400)
        )
    for m in metrics:
        m["_source"] = m["method"]
    return report.table1(metrics)


def grid(table):
    columns = [f"{group} {leaf}".strip() for group, leaves in table.groups for leaf in leaves]
    return {(" ".join(row.labels), column): cell for row in table.rows for column, cell in zip(columns, row.cells)}


def test_a_real_effect_is_marked_and_an_answer_shift_is_flagged_not_marked(tables):
    cells = grid(tables[0])
    degrader = cells[("NeuronLLM", "Chunking Deg")]
    assert degrader.detail.startswith("[") and OUTSIDE_NULL in degrader.detail and degrader.mark == "best"
    shift = cells[("NeuronLLM", "Chunking Enh")]
    assert shift.text != "Fail"  # accuracy rose 50% -> 75% ...
    assert ANSWER_SHIFT in shift.detail and OUTSIDE_NULL not in shift.detail  # ... balanced accuracy fell: no mark
    assert shift.mark == ""  # and never bold, however large its RAC
    probability = grid(tables[1])[("NeuronLLM", "Chunking Enh")]
    assert OUTSIDE_NULL not in probability.detail and probability.mark == ""


def test_equal_budget_row_reads_the_k_good_conditions(tables):
    cells = grid(tables[0])
    row = cells[("NeuronLLM, K good (equal budget)", "Chunking Enh")]
    assert row.text not in ("–", "Fail") and ANSWER_SHIFT not in row.detail  # enh/good: a real gain
    assert cells[("NeuronLLM, K good (equal budget)", "Chunking Deg")].text == cells[("NeuronLLM", "Chunking Deg")].text


def test_caption_states_the_test_its_bh_counts_and_its_calibration(tables):
    table = tables[0]
    assert "Benjamini-Hochberg at FDR 2.5%" in table.caption
    assert table.evidence["rac_signed"]["m"] == 8  # 4 method rows x 2 cells with a null test
    assert table.evidence["rac_signed"]["marked"] <= table.evidence["rac_signed"]["rejected"]
    assert "leave-one-null-out" in table.caption and "of null draws" in table.caption
    assert "RANDOM's cells 0/2" in table.caption
    assert "expected false marks at most" in table.caption


def test_bias_table_judges_chance_by_the_majority_answer(tables):
    bias = tables[2]
    row = bias.rows[0]
    texts = [c.text for c in row.cells]
    assert texts[1] == "noun phrase (75.0%)"  # always answering "noun phrase" scores 75%
    assert texts[-1] == "not above chance"  # 50% accuracy is above uniform chance but below the majority rate
