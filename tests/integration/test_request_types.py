"""Interventions on every lm-eval request type (neuronllm/evaluation/lm_eval_model.py): generate_until acts at the
last prompt token and every generated token, loglikelihood_rolling at every position; an unmodified
NeuronLLM equals HFLM; models load through HFLM's arguments (dtype, trust_remote_code). A job of several
conditions gives each condition what a job of that condition alone gives, for every request type, and a
pass whose requests differ from the first pass's is refused (neuronllm/evaluation/passes.py)."""

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


def generate(lm, text: str, steps: int) -> str:
    """lm-eval's generate_until on one greedy request of `steps` tokens (no stop sequence)."""
    request = Instance("generate_until", doc={}, arguments=(text, {"until": [], "max_gen_toks": steps}), idx=0)
    return lm.generate_until([request], disable_tqdm=True)[0]


def test_generation_intervenes_at_the_answer_position_and_every_generated_token(tiny_local_model, strong_set):
    from neuronllm.evaluation.lm_eval_model import NeuronLLM

    text = "Continue the list with the next item: Monday, Tuesday, Wednesday,"
    lm = NeuronLLM(pretrained=tiny_local_model, neurons=strong_set, op="silence", part="good")
    prompt = lm.tok_encode(text)

    def text_of(ids: list[int]) -> str:  # HFLM stops at its default stop sequence, the EOS token
        generated = ids[len(prompt) :]
        return lm.tok_decode(
            generated[: generated.index(lm.eot_token_id)] if lm.eot_token_id in generated else generated
        )

    ours = generate(lm, text, 6)
    assert ours == text_of(greedy(lm.model, prompt, 6, start=len(prompt) - 1))
    plain = generate(NeuronLLM(pretrained=lm.loaded), text, 6)
    assert plain == text_of(greedy(lm.model, prompt, 6, start=None))  # no set: the model's own text
    assert ours != plain  # the set changed the generated text
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


# -- several conditions in one job = one job per condition, for every request type ----------------------


@pytest.fixture(scope="module")
def mixed_set(tmp_path_factory):
    """Good neurons in the first two layers, bad ones in the last: enhance and degrade act on both sides."""
    path = tmp_path_factory.mktemp("sets") / "mixed.json"
    good = [Neuron(l, i, 1.0) for l in range(2) for i in range(0, 48, 2)]
    NeuronSet(good, [Neuron(2, i, -1.0) for i in range(0, 48, 3)], [48] * 3).save(path)
    return str(path)


@pytest.fixture(scope="module")
def conditions(strong_set, mixed_set):
    from neuronllm.model.condition import Condition

    return [
        Condition(),
        Condition(strong_set, "silence", "good"),
        Condition(mixed_set, "degrade", "both"),
        Condition(mixed_set, "enhance", "both", scope="all"),
        Condition(strong_set, "excite", "good", factor=0.5),
    ]


def check_each_condition_alone_gives_the_same(run, conditions, fields):
    """`run(conditions)` once for all, then once per condition: the same fields, and conditions that differ
    (so a score read for the wrong condition could not pass unseen)."""
    together = run(conditions)
    alone = [run([condition])[0] for condition in conditions]
    for condition, one, single in zip(conditions, together, alone):
        assert {f: one.get(f) for f in fields} == {f: single.get(f) for f in fields}, condition.label
    distinct = {json.dumps({f: one.get(f) for f in fields}, sort_keys=True) for one in together}
    assert len(distinct) == len(conditions)


@pytest.fixture(scope="module")
def loaded_strong(tiny_local_model):
    return load_model(tiny_local_model)


def test_several_conditions_equal_single_runs_multiple_choice(tiny_local_model, loaded_strong, conditions):
    from neuronllm.evaluation.evaluate import EvalSettings, evaluate

    settings = EvalSettings(task="sentiment", instances=4, eval_instances=6, data_files="shipped")

    def run(chosen):
        return evaluate(tiny_local_model, settings, chosen, loaded=loaded_strong)

    fields = ("predictions", "acc", "comprehension", "acc_norm", "lm_eval_metrics", "neuron_set_digest")
    check_each_condition_alone_gives_the_same(run, conditions, fields)


@pytest.mark.parametrize("task", ["neuronllm_text_ppl", "neuronllm_sequences"])
def test_several_conditions_equal_single_runs_rolling_and_generation(task, tiny_local_model, loaded_strong, conditions):
    from neuronllm.evaluation.evaluate import evaluate_lm_eval_task

    def run(chosen):
        return evaluate_lm_eval_task(
            tiny_local_model, task, chosen, limit=6, loaded=loaded_strong, local_tasks_only=True
        )

    check_each_condition_alone_gives_the_same(run, conditions, ("metrics", "samples", "neuron_set_digest"))


def test_a_pass_with_other_requests_is_refused(tiny_local_model, loaded_strong, conditions):
    """The model-level contract: each pass must send the first pass's requests, in order and in full."""
    from neuronllm.evaluation.lm_eval_model import NeuronLLM
    from neuronllm.evaluation.passes import RequestsDiffer

    def mc(*continuations):
        return [
            Instance("loglikelihood", doc={}, arguments=("Is the review positive? Answer:", c), idx=i)
            for i, c in enumerate(continuations)
        ]

    rolling = [Instance("loglikelihood_rolling", doc={}, arguments=("A short text.",), idx=0)]
    lm = NeuronLLM(pretrained=loaded_strong)
    lm.set_conditions(conditions[:3])
    with lm.condition_pass(0):
        first = lm.loglikelihood(mc(" yes", " no"), disable_tqdm=True)
        lm.loglikelihood_rolling(rolling, disable_tqdm=True)
    with lm.condition_pass(1):  # the same requests: the stored scores of condition 1, not condition 0's
        assert lm.loglikelihood(mc(" yes", " no"), disable_tqdm=True) != first
        lm.loglikelihood_rolling(rolling, disable_tqdm=True)
    tampered = {
        "order": lambda: lm.loglikelihood(mc(" no", " yes"), disable_tqdm=True),
        "content": lambda: lm.loglikelihood(mc(" yes", " maybe"), disable_tqdm=True),
        "fewer": lambda: lm.loglikelihood(mc(" yes"), disable_tqdm=True),
        "type": lambda: lm.loglikelihood_rolling(rolling, disable_tqdm=True),
    }
    for call in tampered.values():
        with pytest.raises(RequestsDiffer, match="other requests on the pass of condition 2"), lm.condition_pass(2):
            call()
    with pytest.raises(RequestsDiffer, match="made 1 calls, the first pass 2"), lm.condition_pass(2):
        lm.loglikelihood(mc(" yes", " no"), disable_tqdm=True)  # the rolling call is missing


@pytest.mark.parametrize("task", ["aqua_sentiment_text", "neuronllm_sequences"])
def test_lm_eval_building_other_requests_on_a_later_pass_is_refused(
    task, monkeypatch, tiny_local_model, loaded_strong, conditions
):
    """The job-level contract: lm-eval's requests changing between passes (here a task description added
    after the first pass) stops the job instead of pairing scores of other prompts."""
    from neuronllm.evaluation import evaluate as evaluate_module
    from neuronllm.evaluation.passes import RequestsDiffer

    original_run, passes = evaluate_module._run, []

    def tampering_run(lm, task_name, loaded_tasks, limit=None):
        if passes:
            for built in loaded_tasks["tasks"].values():
                built.set_config(key="description", value="Answer carefully. ")
        passes.append(task_name)
        return original_run(lm, task_name, loaded_tasks, limit)

    monkeypatch.setattr(evaluate_module, "_run", tampering_run)
    with pytest.raises(RequestsDiffer, match="pass of condition 1"):
        if task.startswith("aqua"):
            settings = evaluate_module.EvalSettings(
                task="sentiment", instances=4, eval_instances=2, data_files="shipped"
            )
            evaluate_module.evaluate(tiny_local_model, settings, conditions[:2], loaded=loaded_strong)
        else:
            evaluate_module.evaluate_lm_eval_task(
                tiny_local_model, task, conditions[:2], limit=2, loaded=loaded_strong, local_tasks_only=True
            )
    assert len(passes) == 2
