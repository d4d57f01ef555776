"""Task or format? (issue 18): the native tasks' prompts and scores (equal to HFLM within 1e-4, acc_norm
as lm-eval computes it), the pairing of native and proxy instances, and the sweep's factors reaching
the hooks. A tiny random LLaMA with the embedded tokenizer: seconds."""

from pathlib import Path

import pytest
import torch

from neuronllm.errors import UserError
from neuronllm.model.condition import Condition
from neuronllm.neurons import Neuron, NeuronSet

TASKS = ("ner", "chunking", "sentiment", "commonsense")
EXPECTED_PROMPT = {  # the native YAMLs' doc_to_text, written out: a change to a prompt must be deliberate
    "ner": "Sentence: {sentence}\nWhat type of entity is '{span}'?\nAnswer:",
    "chunking": "Sentence: {sentence}\nWhat type of phrase is '{span}'?\nAnswer:",
    "sentiment": "Review: {sentence}\nSentiment:",
    "commonsense": "Question: {question}\nAnswer:",
}
METADATA = {"data_files": "shipped", "seed": 0, "instances": 4, "eval_instances": 3}


@pytest.fixture(scope="module")
def tiny(tiny_local_model):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(tiny_local_model, dtype=torch.float32).eval()
    return model, AutoTokenizer.from_pretrained(tiny_local_model)


@pytest.fixture(scope="module")
def native_tasks():
    from lm_eval.tasks import TaskManager

    from neuronllm.evaluation.evaluate import load_tasks
    from neuronllm.package_data import tasks_dir

    manager = TaskManager(include_path=tasks_dir(), include_defaults=False, metadata=METADATA)
    return {task: load_tasks(manager, f"aqua_{task}_native") for task in TASKS}


@pytest.mark.parametrize("task", TASKS)
def test_native_prompt_is_a_plain_cloze_of_the_instance(native_tasks, task):
    from neuronllm.tasks.data import load_task_data
    from neuronllm.tasks.lm_eval_tasks import find_task

    lm_task = native_tasks[task]["tasks"][f"aqua_{task}_native"]
    docs = list(lm_task.eval_docs)
    data = load_task_data(find_task(task, "native").spec, 0, 4, 3, "shipped")
    assert [d["instance_id"] for d in docs] == [i.instance_id for i in data.evaluate]
    for doc, instance in zip(docs, data.evaluate):
        assert lm_task.doc_to_text(doc) == EXPECTED_PROMPT[task].format(**instance.fields)
        choices = lm_task.doc_to_choice(doc)
        assert choices[lm_task.doc_to_target(doc)] == instance.answer
        expected = list(instance.choices) if task == "commonsense" else list(data.labels)
        assert choices == expected
        text = lm_task.doc_to_text(doc)
        assert "Options:" not in text and "Correct answer" not in text and "You are" not in text


@pytest.mark.parametrize("task", TASKS)
def test_native_scores_equal_hflm_and_acc_norm_is_lm_evals(tiny, native_tasks, task):
    from lm_eval.models.huggingface import HFLM

    from neuronllm.evaluation.evaluate import _run
    from neuronllm.evaluation.lm_eval_model import NeuronLLM
    from neuronllm.tasks.lm_eval_tasks import normalised_prediction

    model, tokenizer = tiny
    name = f"aqua_{task}_native"
    reference = _run(HFLM(pretrained=model, tokenizer=tokenizer, batch_size=1), name, native_tasks[task])["samples"][
        name
    ]
    ours = _run(NeuronLLM(pretrained=model, tokenizer=tokenizer, spec="tiny"), name, native_tasks[task])["samples"][
        name
    ]
    assert len(ours) == len(reference) == 3
    for a, b in zip(ours, reference):
        scores_a = [float(r[0]) for r in a["filtered_resps"]]
        scores_b = [float(r[0]) for r in b["filtered_resps"]]
        assert max(abs(x - y) for x, y in zip(scores_a, scores_b)) < 1e-4
        assert (a["acc"], a["acc_norm"]) == (b["acc"], b["acc_norm"])
        # the AQUA tasks' own acc_norm (lm_eval_tasks.process_results) is lm-eval's rule
        assert (normalised_prediction(scores_b, a["doc"]["choices"]) == a["doc"]["gold"]) == bool(b["acc_norm"])


def _neuron_set(path: Path) -> str:
    NeuronSet([Neuron(1, i, 1.0) for i in range(6)], [Neuron(2, i, -1.0) for i in range(6)], [48] * 3).save(path)
    return str(path)


@pytest.fixture(scope="module")
def formats(tmp_path_factory, tiny_local_model):
    """The original and one condition in the text, letter and native formats; a native original on
    other instances."""
    from neuronllm.evaluation.evaluate import EvalSettings, evaluate

    work = tmp_path_factory.mktemp("transfer")
    neurons = _neuron_set(work / "set.json")
    out = {}
    for fmt in ("text", "letter", "native"):
        settings = EvalSettings(
            task="sentiment", answer_format=fmt, instances=4, eval_instances=5, data_files="shipped"
        )
        out[fmt] = evaluate(
            tiny_local_model,
            settings,
            [Condition(), Condition(neurons, "enhance")],
            [work / f"{fmt}_orig.json", work / f"{fmt}_enh.json"],
        )
    other = EvalSettings(task="sentiment", answer_format="native", instances=4, eval_instances=4, data_files="shipped")
    out["native_fewer"] = evaluate(tiny_local_model, other, [Condition()], [work / "native_fewer.json"])
    return out


def test_native_instances_pair_with_the_proxies(formats):
    from neuronllm.analysis.transfer import check_same_instances

    proxies, native = formats["text"][0], formats["native"][0]
    assert native["n_proxies"] == native["n_instances"] == proxies["n_instances"] == 5
    assert {p["instance_id"] for p in native["predictions"]} == {p["instance_id"] for p in proxies["predictions"]}
    gold = {p["instance_id"]: p["gold_text"] for p in proxies["predictions"]}
    assert all(gold[p["instance_id"]] == p["gold_text"] for p in native["predictions"])
    assert native["digests"]["data"] == proxies["digests"]["data"]
    check_same_instances(proxies, native)
    check_same_instances(proxies, formats["letter"][0])
    with pytest.raises(UserError, match="not in both formats"):
        check_same_instances(proxies, formats["native_fewer"][0])
    swapped = dict(native, predictions=[dict(p, gold_text="other") for p in native["predictions"]])
    with pytest.raises(UserError, match="another gold answer"):
        check_same_instances(proxies, swapped)


def test_native_evaluation_records_acc_norm_and_the_factor(formats):
    original, enhanced = formats["native"]
    assert all("correct_norm" in p for p in original["predictions"])
    assert original["acc_norm"] == pytest.approx(original["lm_eval_metrics"]["acc_norm,none"])
    assert original["comprehension"] == original["acc"]  # one question per instance
    assert enhanced["condition"]["factor"] == 2.0
    text_original = formats["text"][0]
    assert "acc_norm" in text_original and all("correct_norm" in p for p in text_original["predictions"])


def test_identification_refuses_the_native_format():
    from neuronllm.tasks.lm_eval_tasks import find_task, load_proxies

    with pytest.raises(UserError, match="native format is for evaluation"):
        load_proxies(find_task("sentiment", "native"), "identify", "native", 0, 4, 3, "shipped")


@pytest.mark.parametrize("factor", [0.0, 0.5, 1.5, 4.0])
def test_sweep_factors_reach_the_hooks(tmp_path, tiny, factor):
    """A sweep condition as the plan writes it -> the lm-eval model's condition -> the hooks: exactly the
    chosen part's neurons change, by exactly the factor, at the answer position; nothing else moves."""
    from neuronllm.evaluation.lm_eval_model import NeuronLLM
    from neuronllm.model import hooks
    from neuronllm.model.intervene import scaled_neurons
    from neuronllm.pipeline.transfer_plan import condition_spec, sweep_condition

    model, tokenizer = tiny
    path = _neuron_set(tmp_path / "set.json")
    op, part, f = sweep_condition("good", factor)
    lm = NeuronLLM(pretrained=model, tokenizer=tokenizer, spec="tiny")
    lm.set_conditions([Condition.parse(condition_spec(path, op, part, f))])
    factors = dict(lm.intervention.factors)
    assert factors == {(1, i): factor for i in range(6)}

    captured = {}
    site = hooks.hook_site(lm.loaded, hooks.neurons(1))[0]

    def capture(module, args):
        captured["n"] = args[0].detach().clone()

    ids = torch.tensor([tokenizer.encode("Review: a fine film\nSentiment:")])
    handle = site.register_forward_pre_hook(capture)
    try:
        with torch.no_grad():
            model(ids)
            before = captured["n"]
            handle.remove()
            with scaled_neurons(lm.loaded, factors, torch.tensor([ids.shape[1] - 1])):
                handle = site.register_forward_pre_hook(capture)  # after ours: sees the scaled vector
                model(ids)
            after = captured["n"]
    finally:
        handle.remove()
    last = ids.shape[1] - 1
    expected = before.clone()
    expected[0, last, :6] = before[0, last, :6] * factor
    assert torch.allclose(after, expected, atol=1e-6)
    assert torch.equal(after[0, :last], before[0, :last]) and torch.equal(after[0, last, 6:], before[0, last, 6:])


def test_the_factor_reaches_the_lm_eval_model_arguments(tmp_path, tiny):
    from neuronllm.evaluation.lm_eval_model import NeuronLLM

    model, tokenizer = tiny
    path = _neuron_set(tmp_path / "set.json")
    lm = NeuronLLM(
        pretrained=model, tokenizer=tokenizer, spec="tiny", neurons=path, op="excite", part="bad", factor="3"
    )
    assert dict(lm.intervention.factors) == {(2, i): 3.0 for i in range(6)}
    other = NeuronLLM(pretrained=model, tokenizer=tokenizer, spec="tiny", neurons=path, op="excite", part="bad")
    assert lm.cache_identity != other.cache_identity
    with pytest.raises(UserError, match="without neurons"):
        NeuronLLM(pretrained=model, tokenizer=tokenizer, spec="tiny", factor="3")
