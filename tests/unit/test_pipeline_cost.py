"""benchmarks/pipeline_cost.py: each benchmark file counts toward the documented command that ran it."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from pipeline_cost import target_of  # noqa: E402


def test_jobs_are_charged_to_their_command() -> None:
    cases = {
        ("s0", "ner", "attribute.tsv"): "main",
        ("s0", "ner", "cni", "k100", "identify.tsv"): "main",
        ("s0", "ner", "cni", "k250", "identify.tsv"): "all_tables",  # Table 7's other budgets
        ("s0", "ner", "evaluate_ablation.tsv"): "all_tables",
        ("s0", "ner", "common", "k100", "metrics.tsv"): "all_tables",
        ("s0", "specificity", "ner", "cni", "metrics.tsv"): "specificity",
        ("s0", "ner", "evaluate_transfer_letter.tsv"): "transfer",
        ("s0", "stability", "sentiment", "attribute.tsv"): "stability",
    }
    for parts, target in cases.items():
        assert target_of(parts, Path(parts[-1]).stem, 100) == target, parts
