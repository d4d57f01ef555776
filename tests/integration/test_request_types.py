"""Interventions on every lm-eval request type (neuronllm/evaluation/lm_eval_model.py): generate_until acts at the
last prompt token and every generated token, loglikelihood_rolling at every position; an unmodified
NeuronLLM equals HFLM; models load through HFLM's arguments (dtype, trust_remote_code)."""

import json
import shutil
from pathlib import Path

import pytest
import torch
from lm_eval.api.instance import Instance
from tiny_models import save_tiny_llama

from neuronllm.errors import UserError
from neuronllm.model.loading import load_model
from neuronllm.neurons import Neuron, NeuronSet

FIXTURES = Path(__file__).parents[1] / "fixtures"


@pytest.fixture(scope="module")
def tiny_local_model(tmp_path_factory, embedded):
    """A tiny random LLaMA with large weights (initializer_range 0.5), so that its FFN neurons matter:
    silencing them changes greedy text and perplexity visibly."""
    return save_tiny_llama(tmp_path_factory.mktemp("strong-tiny"), embedded.tokenizer, initializer_range=0.5)


@pytest.fixture(scope="module")
def strong_set(tmp_path_factory, tiny_local_model):
    """Every FFN neuron of the tiny model: silencing them all changes greedy text and perplexity."""
    path = tmp_path_factory.mktemp("sets") / "strong.json"
    NeuronSet([Neuron(l, i, 1.0) for l in range(3) for i in range(48)], [], [48] * 3).save(path)
    return str(path)


def scale_from(model, start: int, factor: float = 0.0):
    """Reference hooks: every FFN neuron of the set at positions >= start (of a full-sequence forward)."""
    from neuronllm.model.loading import ffn_output_projections

    indices = torch.arange(48)

    def hook(module, args):
        hidden = args[0].clone()
        hidden[:, start:, indices] = hidden[:, start:, indices] * factor
        return (hidden, *args[1:])

    return [p.register_forward_pre_hook(hook) for p in ffn_output_projections(model)]


def greedy(model, ids: list[int], steps: int, start: int | None) -> list[int]:
    """Greedy decoding by full forwards, the intervention at every position from `start` on."""
    ids = list(ids)
    for _ in range(steps):
        handles = scale_from(model, start) if start is not None else []
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0, -1]
        for handle in handles:
            handle.remove()
        ids.append(int(logits.argmax()))
    return ids


def test_generation_intervenes_at_the_answer_position_and_every_generated_token(tiny_local_model, strong_set):
    from neuronllm.evaluation.lm_eval_model import NeuronLLM

    lm = NeuronLLM(pretrained=tiny_local_model, neurons=strong_set, op="silence", part="good")
    prompt = lm.tok_encode("Continue the list with the next item: Monday, Tuesday, Wednesday,")
    context = torch.tensor([prompt])
    ours = lm._model_generate(context, max_length=len(prompt) + 6, stop=[], do_sample=False)[0].tolist()
    assert ours == greedy(lm.model, prompt, 6, start=len(prompt) - 1)
    plain = NeuronLLM(pretrained=lm.loaded)._model_generate(
        context, max_length=len(prompt) + 6, stop=[], do_sample=False
    )
    assert plain[0].tolist() == greedy(lm.model, prompt, 6, start=None)  # no set: the model's own text
    assert ours != plain[0].tolist()  # the set changed the generated text
    assert all(not m._forward_pre_hooks for m in lm.model.modules())


def test_rolling_loglikelihood_intervenes_at_every_position(tiny_local_model, strong_set):
    from lm_eval.models.huggingface import HFLM

    from neuronllm.evaluation.lm_eval_model import NeuronLLM

    text = "The bakery on the corner opens before sunrise, and people wait outside."
    request = [Instance("loglikelihood_rolling", doc={}, arguments=(text,), idx=0)]
    lm = NeuronLLM(pretrained=tiny_local_model, neurons=strong_set, op="silence", part="good")
    tokens = [lm.prefix_token_id] + lm.tok_encode(text)
    handles = scale_from(lm.model, 0)
    with torch.no_grad():
        logprobs = torch.log_softmax(lm.model(torch.tensor([tokens[:-1]])).logits[0].float(), -1)
    for handle in handles:
        handle.remove()
    expected = logprobs[torch.arange(len(tokens) - 1), torch.tensor(tokens[1:])].sum().item()
    assert lm.loglikelihood_rolling(request, disable_tqdm=True)[0] == pytest.approx(expected, abs=1e-3)
    unmodified = NeuronLLM(pretrained=lm.loaded).loglikelihood_rolling(request, disable_tqdm=True)[0]
    hflm = HFLM(pretrained=lm.model, tokenizer=lm.tokenizer).loglikelihood_rolling(request, disable_tqdm=True)[0]
    assert unmodified == pytest.approx(hflm, abs=1e-3)
    assert abs(unmodified - expected) > 1e-2


def test_op_without_neurons_is_refused(tiny_local_model):
    from neuronllm.evaluation.lm_eval_model import NeuronLLM

    with pytest.raises(UserError, match="without neurons"):
        NeuronLLM(pretrained=tiny_local_model, op="degrade")


def test_hflm_arguments_load_the_model_and_enter_its_identity(tiny_local_model):
    fp32, bf16 = load_model(tiny_local_model), load_model(tiny_local_model, dtype="bfloat16")
    assert bf16.dtype == torch.bfloat16 and bf16.identity["dtype"] == "bfloat16"
    assert fp32.identity["weights"] == bf16.identity["weights"] and fp32.fingerprint != bf16.fingerprint
    with pytest.raises(UserError, match="unknown model argument 'revison' \\(did you mean 'revision'\\?\\)"):
        load_model(tiny_local_model, revison="main")


@pytest.fixture(scope="module")
def custom_code_model(tmp_path_factory, embedded):
    """A tiny model with its own modelling code (config.json's auto_map points at the .py files beside it),
    the way Baichuan2's hub snapshot is laid out. The weights are a LLaMA's: the custom class subclasses it."""
    directory = tmp_path_factory.mktemp("custom-code")
    save_tiny_llama(directory, embedded.tokenizer, num_hidden_layers=2)
    for name in ("configuration_tiny_custom.py", "modeling_tiny_custom.py"):
        shutil.copy(FIXTURES / "custom_code" / name, directory / name)
    saved = json.loads((directory / "config.json").read_text())
    saved["auto_map"] = {
        "AutoConfig": "configuration_tiny_custom.TinyCustomConfig",
        "AutoModelForCausalLM": "modeling_tiny_custom.TinyCustomForCausalLM",
    }
    saved["model_type"] = "tiny_custom"
    saved["architectures"] = ["TinyCustomForCausalLM"]
    (directory / "config.json").write_text(json.dumps(saved))
    return str(directory)


def test_custom_code_model_loads_with_trust_remote_code(custom_code_model):
    with pytest.raises(UserError, match="cannot load model"):
        load_model(custom_code_model)
    loaded = load_model(custom_code_model, trust_remote_code=True)
    assert type(loaded.model).__name__ == "TinyCustomForCausalLM" and loaded.neuron_counts == [48, 48]
    assert loaded.identity["load_arguments"] == {"trust_remote_code": True}
    from neuronllm.evaluation.lm_eval_model import NeuronLLM

    lm = NeuronLLM(pretrained=custom_code_model, trust_remote_code=True)
    request = [Instance("loglikelihood", doc={}, arguments=("Correct answer:", " yes"), idx=0)]
    assert isinstance(lm.loglikelihood(request, disable_tqdm=True)[0][0], float)
