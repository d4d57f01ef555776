"""Paper-scale shapes built offline (neuronllm/model/shapes.py): the numbers, the files, the refusals."""

import json

import pytest

from neuronllm.errors import UserError
from neuronllm.model.shapes import SHAPES, build_shape, shape_config, shape_parameters


def test_published_shapes():
    seven, thirteen, baichuan = (shape_config(n) for n in ("llama2-7b", "llama2-13b", "baichuan2-7b"))
    assert (seven.hidden_size, seven.intermediate_size, seven.num_hidden_layers, seven.vocab_size) == (
        4096,
        11008,
        32,
        32000,
    )
    assert (thirteen.hidden_size, thirteen.intermediate_size, thirteen.num_hidden_layers) == (5120, 13824, 40)
    assert baichuan.vocab_size == 125696
    # LLaMA-2-7B has 6.74 B parameters, 13B 13.0 B (untied head): the shape's count says the same
    assert abs(shape_parameters("llama2-7b") - 6.738e9) < 0.01e9
    assert abs(shape_parameters("llama2-13b") - 13.016e9) < 0.01e9


def test_depth_and_unknown_shape():
    assert shape_config("llama2-13b", layers=3).num_hidden_layers == 3
    with pytest.raises(UserError, match="1..40"):
        shape_config("llama2-13b", layers=41)
    with pytest.raises(UserError, match="unknown shape"):
        shape_config("llama3-8b")


def test_built_shape_loads_like_a_user_model(tmp_path):
    from neuronllm.model.loading import load_model

    report = build_shape("tiny", tmp_path / "m", "bfloat16", layers=2, seed=3)
    loaded = load_model(str(tmp_path / "m"), dtype="bfloat16", device="cpu")
    assert loaded.dtype.__str__() == "torch.bfloat16" and len(loaded.layers) == 2
    assert loaded.neuron_counts == [SHAPES["tiny"]["intermediate_size"]] * 2
    assert (
        sum(p.numel() for p in loaded.model.parameters())
        == report.parameters
        == shape_parameters("tiny", 2, report.vocab_size)
    )
    # the tokenizer's vocabulary replaces the shape's; the difference is embedding + untied head
    assert report.vocab_size == len(loaded.tokenizer) != SHAPES["tiny"]["vocab_size"]
    assert report.vocab_parameter_difference == 2 * (report.vocab_size - 32000) * 64
    weight = loaded.model.model.layers[0].mlp.down_proj.weight.float()
    assert 0.015 < float(weight.std()) < 0.025 and float(loaded.model.model.norm.weight.float().min()) == 1.0


def test_seeded_reused_and_refused(tmp_path):
    first = build_shape("tiny", tmp_path / "a", "float32", layers=1, seed=0)
    again = build_shape("tiny", tmp_path / "b", "float32", layers=1, seed=0)
    other = build_shape("tiny", tmp_path / "c", "float32", layers=1, seed=1)

    def files(d):
        return sorted(p.read_bytes() for p in d.glob("*.safetensors"))

    assert files(tmp_path / "a") == files(tmp_path / "b") != files(tmp_path / "c")
    assert build_shape("tiny", tmp_path / "a", "float32", layers=1, seed=0).parameters == first.parameters  # reused
    assert again.parameters == other.parameters
    with pytest.raises(UserError, match="another shape"):
        build_shape("tiny", tmp_path / "a", "float32", layers=2, seed=0)
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "keep.txt").write_text("x")
    with pytest.raises(UserError, match="not a built shape"):
        build_shape("tiny", tmp_path / "d", "float32")
    assert (tmp_path / "d" / "keep.txt").read_text() == "x"
    assert json.loads((tmp_path / "a" / "shape.json").read_text())["layers"] == 1
