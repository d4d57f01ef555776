"""results/stability.md's tables and figure from hand-made rows (no model, no pipeline)."""

import pandas as pd

from neuronllm.analysis.stability import COLUMNS
from neuronllm.report.render import to_latex, to_markdown
from neuronllm.report.stability import EFFECT_COLUMNS, effect_tables, figure, overlap_tables


def set_row(method, side, comparison, statistic, value, low, high, instances=10, versus="5 disjoint samples"):
    return dict(model="m", seed=0, task="ner", method=method, side=side, comparison=comparison, versus=versus,
                instances=instances, statistic=statistic, value=value, low=low, high=high, pairs=10,
                random=0.002)  # fmt: skip


def effect_row(method, label, direction, value, null_high, part="good", instances=10):
    return set_row(method, part, "effect", direction, value, value - 5, value + 5, instances, "original") | dict(
        label=label, part=part, null_low=-null_high, null_high=null_high, passes=value > null_high
    )


def test_tables_print_means_ranges_random_references_and_wins(tmp_path):
    sets = pd.DataFrame(
        [
            set_row("cni", "good", "samples", "jaccard", 0.25, 0.125, 0.5),
            set_row("tn", "good", "samples", "jaccard", 0.5, 0.375, 0.75),
            set_row("cni", "good", "steps", "jaccard", 0.75, 0.5, 1.0, versus="m = 8 vs m = 20"),
            set_row(
                "cni", "good", "size", "jaccard", 0.125, 0.0, 0.25, instances=2, versus="reference of 30 instances"
            ),
            set_row(
                "cni", "good", "size", "jaccard", 0.375, 0.375, 0.375, instances=20, versus="reference of 30 instances"
            ),
        ],
        columns=list(COLUMNS),
    )
    markdown = to_markdown(overlap_tables(sets, ["ner"], ["cni", "tn"]))
    assert "Set stability: Jaccard overlap" in markdown and "0.25<br>[0.12, 0.50]" in markdown
    assert "0.002" in markdown and "m = 8 vs m = 20" in markdown and "0.38<br>[0.38, 0.38] (0.002)" in markdown
    effects = pd.DataFrame(
        [effect_row("cni", f"sample{s}", "deg", v, 10.0) for s, v in enumerate([20.0, 30.0, 5.0])]
        + [effect_row("tn", f"sample{s}", "deg", v, 10.0) for s, v in enumerate([25.0, 10.0, 0.0])]
        + [effect_row("cni", "n2", "deg", 3.0, 10.0, instances=2)]
        + [effect_row("cni", "reference", "deg", 7.0, 10.0, instances=2)],  # as many instances as n2
        columns=list(EFFECT_COLUMNS),
    )
    tables = effect_tables(effects, ["ner"], ["cni", "tn"])
    markdown = to_markdown(tables)
    # cni: mean 55/3 = 18.3, range 5.0-30.0, 2 of 3 above 10; tn: 11.7, 0.0-25.0, 1 of 3; cni wins 2 of 3
    assert "18.3<br>[5.0, 30.0] 2/3" in markdown and "11.7<br>[0.0, 25.0] 1/3" in markdown
    assert "ner deg: NeuronLLM (good side, K) > TN in 2/3" in markdown
    assert "How much data: the Table 1 effect" in markdown and "3.0<br>[-2.0, 8.0]" in markdown
    assert "| 2 (reference) |" in markdown.replace("  ", " ") and "7.0<br>[2.0, 12.0]" in markdown
    assert "\\begin{table}" in to_latex(tables)
    png = tmp_path / "f.png"
    figure(sets, effects, str(png))
    assert png.read_bytes()[:4] == b"\x89PNG"
