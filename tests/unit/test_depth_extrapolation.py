"""benchmarks/depth_extrapolation.py: the carry from truncated depths to full depth is exact when a run's
time is a fixed cost plus FLOPs at one rate, and its memory column is the memory model's at full depth."""

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

depth = pytest.importorskip("depth_extrapolation")
projection = pytest.importorskip("projection")

STEP = {
    "prompt_tokens": 200,
    "trie_tokens": 1,
    "steps": 20,
    "layer_batch": 4,
    "threads": 2,
    "loadavg_start": 1.0,
    "loadavg_end": 1.0,
}


def _run(layers: int, seconds: float) -> dict:
    return {
        "settings": {"dtype": "bfloat16", "device": "cpu"},
        "steps": {
            "build": {"layers": layers, "full_layers": 40, "vocab_size": 49152},
            "load": {"weights_mib": 1000.0 * layers, "before_mib": 400.0},
            "identify/letter/ner": {**STEP, "seconds": seconds, "increment_mib": 500.0},
        },
    }


def _flops(layers: int) -> float:
    return depth._flops("llama2-13b", layers, 49152, STEP)


def test_a_fixed_cost_plus_one_rate_is_carried_exactly():
    rate, fixed = 40e9, 3.0
    runs = [_run(n, fixed + _flops(n) / rate) for n in (2, 4)]
    carried = depth.carry("llama2-13b", runs, 40)["identify/letter/ner"]
    assert carried["predicted_seconds"] == pytest.approx(fixed + _flops(40) / rate, rel=1e-6)
    assert carried["rate_gflops"] == pytest.approx(rate / 1e9, rel=1e-6)
    # the proportional carry counts the fixed cost as work: above the line, never below
    assert carried["predicted_seconds_proportional"] > carried["predicted_seconds"]


def test_work_grows_faster_than_depth():
    """An IG pass for layer l runs the layers from l up: 40 layers cost more than 10× 4 layers' passes."""
    assert _flops(40) > 10 * _flops(4)


def test_memory_column_is_the_memory_model_at_full_depth():
    from neuronllm.model import memory
    from neuronllm.model.shapes import shape_config

    runs = [_run(n, 10.0 * n) for n in (2, 4)]
    carried = depth.carry("llama2-13b", runs, 40)["identify/letter/ner"]
    config = shape_config("llama2-13b", 40, 49152)
    expected = 400.0 + memory.identification_peak(config, 200, 1, 20, 4, dtype="bfloat16", device="cpu").total_mib(
        memory.weight_bytes(config, "bfloat16") / memory.MIB
    )
    assert carried["predicted_total_mib_model"] == pytest.approx(expected)
    assert carried["measured_total_mib"] == [2500.0, 4500.0]
    assert carried["predicted_total_mib_line"] == pytest.approx(40500.0)
