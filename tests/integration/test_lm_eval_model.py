"""The `neuronllm` lm-eval model: same log-likelihoods as HFLM, interventions, cache identity, CLI name."""

import subprocess
import sys

import pytest
import torch
from lm_eval.api.instance import Instance

from neuronllm.neurons import Neuron, NeuronSet

PROMPT = (
    "You are an excellent linguist. Your task is to identify the entity type of a given word.\n"
    "Now here is the question: What is the entity type of 'Berlin' in the following sentence:\n"
    "'Anna moved to Berlin in May .'\nOptions:\nA. person B. location C. event D. product\nCorrect answer:"
)
CONTINUATIONS = [" person", " location", " event", " product", " B", " A"]


def requests(prompt=PROMPT, continuations=CONTINUATIONS):
    return [
        Instance(request_type="loglikelihood", doc={}, arguments=(prompt, c), idx=i)
        for i, c in enumerate(continuations)
    ]


@pytest.fixture(scope="module")
def neuronllm_factory(embedded):
    from neuronllm.evaluation.lm_eval_model import NeuronLLM

    model, tokenizer = embedded

    def make(**kwargs):
        # Built around the already-loaded model: same object, no second load.
        return NeuronLLM(pretrained=model, tokenizer=tokenizer, spec="embedded", **kwargs)

    return make


def test_same_loglikelihoods_as_hflm(embedded, neuronllm_factory):
    from lm_eval.models.huggingface import HFLM

    model, tokenizer = embedded
    reference = HFLM(pretrained=model, tokenizer=tokenizer, batch_size=1).loglikelihood(requests())
    ours = neuronllm_factory(letter_merge=False).loglikelihood(requests())
    for (a, greedy_a), (b, greedy_b) in zip(ours, reference):
        assert abs(a - b) < 1e-4
        assert greedy_a == greedy_b


def test_letter_merge_is_logsumexp_of_both_spellings(embedded, neuronllm_factory):
    model, tokenizer = embedded
    merged = neuronllm_factory(letter_merge=True).loglikelihood(requests(continuations=[" B"]))[0][0]
    ids = tokenizer.encode(PROMPT)
    with torch.no_grad():
        logprobs = torch.log_softmax(model(torch.tensor([ids])).logits[0, -1].float(), -1)
    expected = torch.logsumexp(logprobs[[tokenizer.encode(" B")[0], tokenizer.encode("B")[0]]], 0).item()
    assert abs(merged - expected) < 1e-4


def test_intervention_changes_scores_and_only_with_neurons(tmp_path, neuronllm_factory):
    counts = [1536] * 30
    strong = NeuronSet([Neuron(l, i, 1.0) for l in range(20, 30) for i in range(0, 1536, 3)], [], counts)
    path = tmp_path / "set.json"
    strong.save(path)
    plain = neuronllm_factory().loglikelihood(requests())
    degraded = neuronllm_factory(neurons=str(path), op="degrade").loglikelihood(requests())
    again = neuronllm_factory().loglikelihood(requests())
    assert plain == again
    assert max(abs(a[0] - b[0]) for a, b in zip(plain, degraded)) > 1e-2


def test_cache_identity_separates_conditions(tmp_path, neuronllm_factory):
    counts = [1536] * 30
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    NeuronSet([Neuron(0, 1, 1.0)], [], counts).save(one)
    NeuronSet([Neuron(0, 2, 1.0)], [], counts).save(two)
    identities = {
        neuronllm_factory().cache_identity,
        neuronllm_factory(neurons=str(one), op="degrade").cache_identity,
        neuronllm_factory(neurons=str(one), op="enhance").cache_identity,
        neuronllm_factory(neurons=str(two), op="degrade").cache_identity,
        neuronllm_factory(neurons=str(one), op="degrade", scope="all").cache_identity,
        neuronllm_factory(neurons=str(one), op="degrade", part="good").cache_identity,
    }
    assert len(identities) == 6
    assert neuronllm_factory(neurons=str(one)).cache_identity == neuronllm_factory(neurons=str(one)).cache_identity


def test_lm_eval_cache_never_returns_another_conditions_score(tmp_path, neuronllm_factory):
    from lm_eval.api.model import CachingLM

    counts = [1536] * 30
    path = tmp_path / "set.json"
    NeuronSet([Neuron(l, i, 1.0) for l in range(20, 30) for i in range(0, 1536, 3)], [], counts).save(path)
    db = str(tmp_path / "cache.db")
    plain = CachingLM(neuronllm_factory(), db).loglikelihood(requests())
    degraded = CachingLM(neuronllm_factory(neurons=str(path), op="degrade"), db).loglikelihood(requests())
    plain_again = CachingLM(neuronllm_factory(), db).loglikelihood(requests())
    assert plain != degraded
    assert plain == plain_again


def test_prefix_cache_on_disk_is_reused_and_exact(neuronllm_factory, tmp_path):
    first = neuronllm_factory(prefix_cache=str(tmp_path / "prefixes"))
    scores = first.loglikelihood(requests())
    assert first.prefix_cache.misses == 1 and len(list((tmp_path / "prefixes").iterdir())) == 1
    second = neuronllm_factory(prefix_cache=str(tmp_path / "prefixes"))
    assert second.loglikelihood(requests()) == scores
    assert second.prefix_cache.misses == 0 and second.prefix_cache.hits == 1


def test_bad_arguments_are_one_line_errors(neuronllm_factory, tmp_path):
    from neuronllm.errors import UserError

    with pytest.raises(UserError, match="unknown intervention 'boost'"):
        neuronllm_factory(neurons="x.json", op="boost")
    with pytest.raises(UserError, match="neuron file not found"):
        neuronllm_factory(neurons=str(tmp_path / "missing.json"))


def test_cli_knows_neuronllm_and_hf_and_imports_no_torch_at_startup():
    code = (
        "import sys; assert 'torch' not in sys.modules and 'lm_eval' not in sys.modules;"
        "from lm_eval.api.registry import get_model;"
        "print(get_model('hf').__name__);"
        "print(get_model('neuronllm').__name__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.split()
    assert out == ["HFLM", "NeuronLLM"]


def test_task_manager_finds_aqua_tasks():
    from lm_eval.tasks import TaskManager

    names = set(TaskManager().all_tasks)
    assert {"aqua_ner", "aqua_ner_text", "aqua_commonsense", "aqua"} <= names


def test_adapter_tokenizes_as_hflm_does(embedded, neuronllm_factory):
    """neuronllm.lm_eval_adapter.tokenized_loglikelihood hands the model exactly the tokens HFLM scores: an
    empty context, a context ending in spaces, letters; the instance is left as it was."""
    from lm_eval.models.huggingface import HFLM

    from neuronllm.lm_eval_adapter import tokenized_loglikelihood

    class Recording(HFLM):
        def _loglikelihood_tokens(self, tokenized, **kwargs):
            self.seen = list(tokenized)
            return [(0.0, False)] * len(tokenized)

    model, tokenizer = embedded
    cases = requests() + requests(prompt="Correct answer: ", continuations=["B", " yes"])
    cases += requests(prompt="", continuations=[" Paris", "Paris"])
    hflm = Recording(pretrained=model, tokenizer=tokenizer, batch_size=1)
    hflm.loglikelihood(cases, disable_tqdm=True)
    lm = neuronllm_factory()
    assert tokenized_loglikelihood(lm, cases, disable_tqdm=True) == hflm.seen
    assert "_loglikelihood_tokens" not in vars(lm)


def test_adapter_names_the_supported_version_when_lm_eval_changed(monkeypatch, neuronllm_factory):
    from lm_eval.models.huggingface import HFLM

    from neuronllm.lm_eval_adapter import tokenized_loglikelihood

    lm = neuronllm_factory()
    monkeypatch.setattr(HFLM, "loglikelihood", lambda self, reqs, disable_tqdm=False: [(0.0, False)] * len(reqs))
    with pytest.raises(RuntimeError, match=r"neuronllm supports lm-eval 0\.4\.13 \(neuronllm/lm_eval_adapter\.py\)"):
        tokenized_loglikelihood(lm, requests())
    assert "_loglikelihood_tokens" not in vars(lm)
