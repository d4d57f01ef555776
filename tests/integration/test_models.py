import pytest
import torch
from tiny_models import ARCHITECTURES, D_FF, tiny_model

from neuronllm.errors import UserError
from neuronllm.model.loading import decoder_layers, ffn_output_projections, load_model, neuron_counts

EXPECTED_PROJECTION = {
    "llama": "down_proj",
    "mistral": "down_proj",
    "qwen2": "down_proj",
    "gpt2": "c_proj",
    "gptneox": "dense_4h_to_h",
}


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_ffn_output_projection_found_for_each_architecture(arch):
    model = tiny_model(arch)
    projections = ffn_output_projections(model)
    assert len(projections) == len(decoder_layers(model)) == 3
    names = {name.rsplit(".", 1)[-1] for name, module in model.named_modules() if any(module is p for p in projections)}
    assert names == {EXPECTED_PROJECTION[arch]}
    assert neuron_counts(model) == [D_FF] * 3


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_projection_input_is_the_intermediate_vector(arch):
    """The hooked input has d_ff coordinates: it is the neuron vector, not the residual stream."""
    model = tiny_model(arch)
    seen = []
    handle = ffn_output_projections(model)[1].register_forward_pre_hook(lambda m, a: seen.append(a[0].shape))
    with torch.no_grad():
        model(torch.arange(5)[None])
    handle.remove()
    assert seen == [torch.Size([1, 5, D_FF])]


def test_unsupported_architecture_names_the_class():
    class Weird(torch.nn.Module):
        pass

    with pytest.raises(UserError, match="unsupported architecture Weird"):
        ffn_output_projections(Weird())


def test_unknown_model_spec_is_one_line_error(tmp_path):
    with pytest.raises(UserError, match="cannot load model") as info:
        load_model(str(tmp_path / "no-such-model"))
    assert "\n" not in str(info.value)


def test_embedded_model_loads_with_expected_shape(embedded):
    model, tokenizer = embedded
    assert type(model).__name__ == "LlamaForCausalLM"
    assert neuron_counts(model) == [1536] * 30
    assert next(model.parameters()).dtype == torch.float32
    assert tokenizer.pad_token is not None
