"""The transfer report end to end on synthetic evaluation files laid out as TransferPlan names them: every
cell has an interval and a null band, the sweep has every factor of both parts in both formats, and the
CSV rows have metrics.csv's columns. No model: seconds."""

import json
import random
from pathlib import Path

import pandas as pd
from evaluations import SETTINGS, evaluation, prediction

from neuronllm.pipeline.plan import Plan
from neuronllm.pipeline.transfer_plan import TransferPlan
from neuronllm.report.tidy import write_csv  # noqa: F401 - the columns below are write_csv's

N = 24
LABELS = ("negative", "positive")


def _evaluation(path: str, rng: random.Random, shift: float) -> dict:
    """A file as `evaluate` writes it (tests/evaluations.py); native: one question per instance."""
    native = "/transfer/native/" in path
    proxies = 1 if native else 3
    original = path.endswith("original/eval.json")
    changed = 0 if original else (200 if "-both" in path else 100)
    predictions = []
    for i in range(N):
        gold = LABELS[i % 2]
        for proxy in range(proxies):
            right = rng.random() < (0.8 if native else 0.45) + shift
            row = prediction(i, proxy, list(LABELS), gold, gold if right else LABELS[1 - i % 2])
            predictions.append(row | {"correct_norm": right})
    settings = SETTINGS | {"task": "sentiment", "answer_format": "native" if native else "text"}
    made = evaluation(predictions, None if original else "degrade", settings=settings)
    return made | {"neurons_changed": changed, "model_identity": {"weights": "w"}}


def test_transfer_report_writes_every_cell_with_an_interval_and_a_band(tmp_path):
    from neuronllm.report.transfer_figures import write_transfer

    config = {
        "results_dir": str(tmp_path / "r"),
        "models": {"m": {"spec": "embedded", "label": "tiny"}},
        "tasks": ["sentiment"],
        "methods": ["cni", "random"],
        "budget": 100,
        "seeds": [0],
        "null_sets": 3,
        "answer_format": "text",
        "data_files": "shipped",
        "transfer": {"null_sets": 3, "sweep_factors": [0, 2, 4], "sweep_null_sets": 3},
    }
    tp = TransferPlan(Plan(config))
    rng = random.Random(0)
    for path in tp.report_inputs("m", 0):
        shift = 0.2 if "/cni/" in path and "enhance" in path else 0.0
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).write_text(json.dumps(_evaluation(path, rng, shift)))
    out = tmp_path / "out"
    out.mkdir()
    names = {
        k: str(out / v)
        for k, v in {
            "md": "transfer.md",
            "tex": "transfer.tex",
            "png": "transfer.png",
            "pdf": "transfer.pdf",
            "csv": "transfer.csv",
            "sweep": "dose.csv",
        }.items()
    }
    write_transfer(
        json.dumps(config),
        names["md"],
        names["tex"],
        names["png"],
        names["pdf"],
        names["csv"],
        names["sweep"],
        str(out / "dose"),
        resamples=200,
    )
    text = Path(names["md"]).read_text()
    assert text.count("null [") == 4 * 4  # 4 rows (cni, random x Deg, Enh) x 4 effect columns
    assert "NeuronLLM" in text and "RANDOM" in text and "Dose-response" in text
    csv = pd.read_csv(names["csv"])
    assert list(csv.columns) == [
        "model",
        "model_label",
        "seed",
        "task",
        "method",
        "neurons_from",
        "K",
        "condition",
        "metric",
        "value",
        "low",
        "high",
        "n_instances",
        "answer_format",
        "data",
    ]
    cells = csv[csv.metric == "transfer_rac_signed"]
    assert len(cells) == 4 * 3 and cells[["low", "high"]].notna().all().all()
    bands = csv[csv.metric == "transfer_null_rac_signed"]
    assert bands[["low", "high"]].notna().all().all()
    sweep = pd.read_csv(names["sweep"])
    assert set(sweep.factor) == {0.0, 1.0, 2.0, 4.0}
    assert len(sweep) == 2 * 2 * 4  # formats x parts x factors
    swept = sweep[sweep.factor != 1.0]
    assert swept[["low", "high", "band_low", "band_high"]].notna().all().all()
    assert (out / "dose" / "sentiment.png").is_file() and Path(names["png"]).is_file()
