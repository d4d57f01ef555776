"""The specificity matrix from metrics files of a real run (tests/fixtures/specificity: NER's and
sentiment's NeuronLLM sets on NER, sentiment and prose perplexity, embedded default): every cell,
the on-target and off-target summaries and the general column's interval, checked against the files."""

import json
from pathlib import Path

from neuronllm.report.specificity import _load, specificity_table

FIXTURES = Path(__file__).parents[1] / "fixtures" / "specificity"


def condition(name: str, key: str) -> dict:
    return json.loads((FIXTURES / f"{name}.json").read_text())["conditions"][key]


def cells_of(table):
    columns = [leaf for _, leaves in table.groups for leaf in leaves]
    return {
        (row.labels[0], row.labels[1], column): cell for row in table.rows for column, cell in zip(columns, row.cells)
    }


def test_matrix_cells_and_summaries_come_from_the_files():
    table = specificity_table(_load(sorted(FIXTURES.glob("*.json"))))
    cells = cells_of(table)
    assert [tuple(row.labels) for row in table.rows] == [
        ("NER", "Deg"),
        ("NER", "Enh"),
        ("Sentiment", "Deg"),
        ("Sentiment", "Enh"),
    ]
    # NER's degrader on sentiment (off-target): the signed relative accuracy change and its interval.
    off = condition("sentiment_ner", "deg/both")
    assert cells[("NER", "Deg", "Sentiment")].detail == (
        f"{off['rac_signed']:+.1f} [{off['rac_signed_low']:.0f}, {off['rac_signed_high']:.0f}]"
    )
    on = condition("ner_ner", "deg/both")["rac_signed"]
    assert cells[("NER", "Deg", "on-target")].text == f"{on:+.1f}"
    assert cells[("NER", "Deg", "off-target (AQUA mean)")].text == f"{off['rac_signed']:+.1f}"  # one off-target task
    # Perplexity under NER's degrader: perplexity up = capability down = the intended direction (+).
    ppl = condition("neuronllm_text_ppl_ner", "deg/both")
    cell = cells[("NER", "Deg", "Prose perplexity")]
    assert cell.text == f"{ppl['relative_change']:+.1f}"
    assert cell.detail == (
        f"{ppl['relative_change']:+.1f} [{ppl['relative_change_low']:.0f}, "
        f"{ppl['relative_change_high']:.0f}] ({ppl['relative_change']:+.1f}% word perplexity)"
    )
    # Under the enhancer the same rise in perplexity is a capability loss: the sign flips.
    enhanced = condition("neuronllm_text_ppl_ner", "enh/both")
    assert cells[("NER", "Enh", "Prose perplexity")].text == f"{-enhanced['relative_change']:+.1f}"
    assert cells[("NER", "Enh", "general (mean)")].text == f"{-enhanced['relative_change']:+.1f}"
