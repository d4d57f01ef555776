"""Batched shared-context scoring (neuronllm/scoring/engine.py) equals full-row scoring, HFLM's way, on every
supported architecture: letter-like and text-like options, with and without interventions, across
chunk and batch boundaries, and on the fallback path."""

import random

import pytest
import torch
from tiny_models import ARCHITECTURES, VOCAB, tiny_config, tiny_model
from transformers import AutoModelForCausalLM

from neuronllm.model.intervene import scaled_neurons
from neuronllm.model.loading import LoadedModel
from neuronllm.scoring.engine import Question, ScoreCondition, SharedContextScorer
from neuronllm.scoring.prefix_tree import PrefixTree


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def aqua_like_questions(seed: int = 0, n: int = 9) -> list[Question]:
    """A shared trunk (role + rule), three one-shot examples shared by several questions, a unique tail;
    options of 1-3 tokens with shared beginnings, and two-spelling (letter-like) options."""
    rng = random.Random(seed)
    trunk = [rng.randrange(VOCAB) for _ in range(7)]
    examples = [[rng.randrange(VOCAB) for _ in range(rng.randint(2, 5))] for _ in range(3)]
    questions = []
    for i in range(n):
        tail = [rng.randrange(VOCAB) for _ in range(rng.randint(1, 6))]
        context = trunk + examples[i % 3] + tail
        if i % 3 == 2:
            options = [[[3], [4]], [[5], [6]], [[7], [8]]]  # letter-like: two single-token spellings
        else:
            first = rng.randrange(VOCAB)
            options = [[[first]], [[first, rng.randrange(VOCAB)]], [[rng.randrange(VOCAB), rng.randrange(VOCAB), 9]]]
        questions.append(Question(context, options))
    questions.append(Question(trunk[:3], [[[1, 2]], [[2]]]))  # a prefix of the trunk itself
    return questions


def reference(model, questions, factors=None, scope="answer"):
    """One forward per (question, alternative) over context + alternative[:-1], as HFLM runs a request."""
    out = []
    for question in questions:
        scores = []
        for option in question.options:
            values, greedy = [], False
            for alternative in option:
                ids = torch.tensor([question.context + alternative[:-1]])
                answer = len(question.context) - 1
                positions = torch.tensor([answer]) if scope == "answer" else None
                with torch.no_grad(), scaled_neurons(model, factors or {}, positions):
                    logprobs = torch.log_softmax(model(input_ids=ids).logits[0].float(), dim=-1)
                rows = logprobs[answer : answer + len(alternative)]
                targets = torch.tensor(alternative)
                values.append(rows[torch.arange(len(alternative)), targets].sum())
                greedy |= bool((rows.argmax(-1) == targets).all())
            scores.append((torch.logsumexp(torch.stack(values), 0).item(), greedy))
        out.append(scores)
    return out


def assert_close(ours, expected, tolerance=1e-4):
    for q_ours, q_expected in zip(ours, expected, strict=True):
        for (a, greedy_a), (b, greedy_b) in zip(q_ours, q_expected, strict=True):
            assert abs(a - b) < tolerance, (a, b)
            assert greedy_a == greedy_b


FACTORS = {(0, 1): 0.0, (1, 5): 2.0, (2, 7): 0.0, (2, 40): 2.0}


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_equals_full_rows_with_and_without_interventions(arch):
    model = tiny_model(arch)
    questions = aqua_like_questions()
    conditions = [ScoreCondition.of(), ScoreCondition.of(FACTORS), ScoreCondition.of(FACTORS, "all")]
    scored = SharedContextScorer(LoadedModel.wrap(model)).score(questions, conditions)
    assert_close(scored[0], reference(model, questions))
    assert_close(scored[1], reference(model, questions, FACTORS, "answer"))
    assert_close(scored[2], reference(model, questions, FACTORS, "all"))
    assert scored[0] != scored[1]  # the intervention changed something


@pytest.mark.parametrize("kv_memory_mb, batch_tokens", [(1e-3, 4096), (1024, 24), (2e-3, 40)])
def test_chunks_and_batches_do_not_change_the_numbers(kv_memory_mb, batch_tokens):
    model = tiny_model("llama")
    questions = aqua_like_questions(seed=3, n=12)
    scorer = SharedContextScorer(LoadedModel.wrap(model), kv_memory_mb=kv_memory_mb, batch_tokens=batch_tokens)
    chunks = scorer._chunks(questions) if scorer._reuse_is_exact(questions) else []
    if kv_memory_mb < 1:
        assert len(chunks) > 1  # the budget really split the questions
    assert_close(scorer.score(questions, [ScoreCondition.of(FACTORS)])[0], reference(model, questions, FACTORS))


@pytest.mark.parametrize("window", [6, 40])
def test_sliding_window_falls_back_to_full_rows_where_needed(window):
    config = tiny_config("mistral")
    config.sliding_window = window
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32).eval()
    questions = aqua_like_questions()
    scorer = SharedContextScorer(LoadedModel.wrap(model))
    assert scorer._reuse_is_exact(questions) == (window == 40)
    scored = scorer.score(questions, [ScoreCondition.of(), ScoreCondition.of(FACTORS)])
    assert_close(scored[0], reference(model, questions))
    assert_close(scored[1], reference(model, questions, FACTORS))


def test_eager_attention_and_gpt2_positions():
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(
        tiny_config("gpt2"), dtype=torch.float32, attn_implementation="eager"
    ).eval()
    questions = aqua_like_questions(seed=5)
    assert_close(
        SharedContextScorer(LoadedModel.wrap(model)).score(questions, [ScoreCondition.of(FACTORS)])[0],
        reference(model, questions, FACTORS),
    )


def test_prefix_tree_splits_and_shares():
    tree = PrefixTree()
    a = tree.insert([1, 2, 3, 4])
    b = tree.insert([1, 2, 5])
    c = tree.insert([1, 2])
    assert [tree.segments[s].tokens for s in tree.chain(a)] == [[1, 2], [3, 4]]
    assert [tree.segments[s].tokens for s in tree.chain(b)] == [[1, 2], [5]]
    assert tree.chain(c) == tree.chain(a)[:1]
    assert tree.size() == 5  # 1 2 | 3 4 | 5: each shared token once
    assert tree.segments[tree.chain(a)[1]].start == 2
    assert tree.insert([]) == -1
    assert tree.levels() == [[tree.chain(a)[0]], sorted([tree.chain(a)[1], b])]


def test_the_model_is_left_without_hooks():
    model = tiny_model("qwen2")
    SharedContextScorer(LoadedModel.wrap(model)).score(aqua_like_questions(), [ScoreCondition.of(FACTORS)])
    assert all(not m._forward_pre_hooks for m in model.modules())


def test_option_tries_are_batched_by_width_so_few_positions_are_padding():
    # Long and short tries with interleaved pasts: batching by past first would pair a 1-token trie
    # with a 6-token one (5 padded forward positions); by width, every batch is uniform.
    from neuronllm.scoring.engine import _Row

    scorer = SharedContextScorer.__new__(SharedContextScorer)
    scorer.batch_tokens = 3 * (35 + 6)  # three rows a batch
    rows = [
        _Row(list(range(past)), [0] * width, torch.ones(width, width, dtype=torch.bool), list(range(width)))
        for past, width in [(30, 1), (31, 6), (32, 1), (33, 6), (34, 1), (35, 6)]
    ]
    batches = scorer._batches(rows, by="trie")
    for batch in batches:
        assert len({len(rows[r].tokens) for r in batch}) == 1, batches
    assert sorted(r for batch in batches for r in batch) == list(range(len(rows)))
