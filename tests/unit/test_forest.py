"""Table 1's forest plot shows exactly what the table shows: the same cells, effects, intervals, null
bands and marks (drawn from the built table, not recomputed)."""

import copy
from pathlib import Path

import pytest

from neuronllm import report
from neuronllm.report.forest import _points, forest_figure

FIXTURES = Path(__file__).parents[1] / "fixtures" / "report"


@pytest.fixture(scope="module")
def table():
    ms = report.load_metrics(sorted(FIXTURES.glob("*-k100.json")))
    ms = [m for m in ms if m["method"] != "common"]
    with_band = copy.deepcopy(ms)
    for m in with_band:  # a null band and a small p on every condition, as the pipeline writes them
        for condition in m["conditions"].values():
            band = {"mean": 0.0, "sd": 1.0, "low": -2.0, "high": 2.0, "n": 5, "p": 1e-4, "passes": True}
            condition["null"] = {"rac_signed": band, "rcc_signed": dict(band, p=0.5, passes=False), "sets": 5}
            condition.update(rac_signed=12.5, rac_signed_low=3.0, rac_signed_high=20.0)
    return report.table1(with_band, budget=100)[0]


def test_every_point_is_a_table_cell_with_its_marks(table):
    labels, columns, rows = _points(table)
    method_rows = [r for r in table.rows if r.rank_group != "null"]
    assert len(labels) == len(rows) == len(method_rows)
    assert not any(c.startswith("Average") for c in columns)
    leaves = [(g, leaf) for g, ls in table.groups for leaf in ls]
    for row, points in zip(method_rows, rows):
        shown = [cell for cell, (g, _) in zip(row.cells, leaves) if not g.startswith("Average")]
        for cell, point in zip(shown, points):
            if point is None:
                assert cell.value is None or cell.value.get("rac_signed") is None
                continue
            assert point["effect"] == cell.value["rac_signed"]
            assert point["marked"] == ("rac_signed" in cell.marked)
            assert point["band"] == (-2.0, 2.0) and (point["low"], point["high"]) == (3.0, 20.0)
    assert any(p and p["marked"] for points in rows for p in points)  # the BH step marked something


def test_the_figure_is_written_as_png_and_pdf(table, tmp_path):
    png, pdf = tmp_path / "forest.png", tmp_path / "forest.pdf"
    forest_figure(table, png, pdf)
    assert png.read_bytes()[:4] == b"\x89PNG" and pdf.read_bytes()[:4] == b"%PDF"
