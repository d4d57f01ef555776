"""The memory model (neuronllm/model/memory.py): its counts against what the code really holds, and `neuronllm plan`."""

import pytest
import torch
from tiny_models import tiny_model

from neuronllm.attribution.ig import ProxyTokens, integrated_gradients_many, layouts
from neuronllm.errors import UserError
from neuronllm.model import memory
from neuronllm.model.loading import LoadedModel
from neuronllm.model.shapes import shape_config
from neuronllm.scoring.prefix_kv import prefix_key_values


def test_parse_size():
    assert memory.parse_size("24GB") == 24 * 1024
    assert memory.parse_size("80 GiB") == 80 * 1024
    assert memory.parse_size("512MB") == 512
    assert memory.parse_size("1.5t") == 1.5 * 1024**2
    for bad in ("", "GB", "12x", "-3GB"):
        with pytest.raises(UserError, match="memory size"):
            memory.parse_size(bad)


@pytest.mark.parametrize("dtype", [torch.float32, torch.bfloat16])
def test_kv_bytes_per_token_is_what_a_prefix_holds(dtype):
    model = tiny_model("llama").to(dtype)
    key_values = prefix_key_values(model, list(range(1, 12)))
    held = sum(k.numel() * k.element_size() + v.numel() * v.element_size() for k, v in key_values)
    assert memory.kv_bytes_per_token(model.config, dtype) * 11 == held


def test_weight_bytes_counts_every_parameter():
    model = tiny_model("llama")
    assert memory.weight_bytes(model.config, "float32") == sum(p.numel() * 4 for p in model.parameters())
    assert memory.weight_bytes(model.config, "bfloat16") == sum(p.numel() * 2 for p in model.parameters())


@pytest.mark.parametrize(
    "options,layer_batch,pass_tokens", [([[[5]], [[6]]], 2, 512), ([[[5, 7, 9]], [[6, 8]]], 3, 16)]
)
def test_pass_tokens_is_the_widest_packed_pass(monkeypatch, options, layer_batch, pass_tokens):
    """The model's N is the width of the widest pass the cached engine really runs."""
    widths = []
    real = layouts.PackedLayout.logits

    def logits(self, model, entry=None):
        widths.append(self.input_ids.shape[1])
        return real(self, model, entry) if entry is not None else real(self, model)

    monkeypatch.setattr(layouts.PackedLayout, "logits", logits)
    loaded = LoadedModel.wrap(tiny_model("llama"))
    proxy = ProxyTokens(list(range(3, 20)), options, 0)
    integrated_gradients_many(loaded, proxy, ["contrastive"], steps=4, layer_batch=layer_batch, pass_tokens=pass_tokens)
    trie = len(proxy.continuations().tokens)
    assert max(widths) == memory.pass_tokens_of(trie, 4, layer_batch, pass_tokens)


def test_identification_grows_with_what_it_holds():
    config = shape_config("llama2-7b")
    base = memory.identification_peak(config, 300, 1, 20, 4)
    assert memory.identification_peak(config, 600, 1, 20, 4).parts["prefix_kv"] == pytest.approx(
        base.parts["prefix_kv"] * 599 / 299
    )
    deeper = memory.identification_peak(shape_config("llama2-13b"), 300, 1, 20, 4)
    assert deeper.above_weights_mib > base.above_weights_mib
    # text tries fill the 512-token pass: a larger layer_batch then changes nothing
    wide = [memory.identification_peak(config, 300, 32, 20, lb).above_weights_mib for lb in (4, 8)]
    assert wide[0] == wide[1] > base.above_weights_mib
    assert memory.identification_peak(config, 300, 1, 20, 1).above_weights_mib < base.above_weights_mib


def test_evaluation_is_bounded_by_its_budgets():
    config = shape_config("llama2-7b")
    small = memory.evaluation_peak(config, 10_000, 300, 4096, kv_memory_mb=1024)
    large = memory.evaluation_peak(config, 10_000, 300, 4096, kv_memory_mb=8192)
    assert small.parts["prefix_tree"] <= 1024 + 1 and large.parts["prefix_tree"] > small.parts["prefix_tree"]
    assert memory.evaluation_peak(config, 10_000, 300, 1024).parts["batch_past"] < large.parts["batch_past"]


def test_plan_command(tmp_path, capsys):
    from neuronllm.cli import main
    from neuronllm.model.shapes import build_shape

    build_shape("tiny", tmp_path / "m", "float32", layers=2)
    assert main(["plan", "--model", str(tmp_path / "m"), "--device", "cpu", "--device-memory", "4GB"]) == 0
    out = capsys.readouterr().out
    assert "fits" in out and "NOT" not in out and "identification peak" in out
    with pytest.raises(SystemExit) as exit_:
        main(["plan", "--model", str(tmp_path / "m"), "--device", "cpu", "--device-memory", "1MB"])
    assert exit_.value.code == 1 and "does NOT fit" in capsys.readouterr().out
    assert main(["plan", "--device-memory", "lots"]) == 2
    assert "memory size" in capsys.readouterr().err


def test_plan_reads_the_paper_config(capsys):
    """config/paper.yaml's hub models fall back to their built-in shapes when their configs are not here."""
    from neuronllm.cli import main

    main(["plan", "--config", "config/paper.yaml", "--device", "cuda", "--device-memory", "80GB"])
    out = capsys.readouterr().out
    assert out.count("fits") == 3 and "letter answers" in out and "m = 20, layer_batch 4" in out
    assert "llama2-13b" in out


def test_kv_memory_default_on_cpu_and_cuda_context():
    """CPU keeps the measured 1024 MiB; plans for a GPU count its CUDA context."""
    loaded = LoadedModel.wrap(tiny_model("llama"))
    assert memory.default_kv_memory_mb(loaded, 4096) == 1024.0
    config = shape_config("llama2-7b")
    peak = memory.identification_peak(config, 300, 1, 20, 4)
    assert peak.parts["head_copy"] == 32000 * 4096 * 2 / 2**20
    plan = memory.plan_job("llama2-7b", 24 * 1024, "bfloat16", 300, 1, 20, 4, 8192, 4096, 150, device="cuda")
    assert plan.identification.parts["cuda_context"] == memory.CUDA_CONTEXT_MIB
    # 12.6 GiB of weights + an 8 GiB tree + a 4 GiB batch: a 24 GB GPU is too small; the suggestion fits
    assert not plan.fits and 0 < plan.suggested_kv_memory_mb < 8192
    smaller = memory.plan_job(
        "llama2-7b", 24 * 1024, "bfloat16", 300, 1, 20, 4, plan.suggested_kv_memory_mb, 4096, 150, device="cuda"
    )
    assert smaller.fits
