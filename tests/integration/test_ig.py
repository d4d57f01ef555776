"""Integrated gradients (neuronllm/attribution/ig/): the cached engine equals the naive reference on every
supported architecture, IG is complete, TN's a·∂F/∂a equals autograd, and the model is left as found."""

import pytest
import torch
from tiny_models import ARCHITECTURES, D_FF, VOCAB, tiny_config, tiny_model
from transformers import AutoModelForCausalLM

import neuronllm.attribution.ig as ig
import neuronllm.attribution.ig.cached as ig_cached
import neuronllm.attribution.ig.layouts as ig_layouts
from neuronllm.attribution.ig import (
    OBJECTIVES,
    ProxyTokens,
    activation_times_gradient,
    answer_activations,
    integrated_gradients,
    proxy_tokens,
)
from neuronllm.errors import UserError
from neuronllm.model.loading import LoadedModel, ffn_output_projections
from neuronllm.scoring.prefix_kv import prefix_key_values
from neuronllm.scoring.tokens import encode_pair, letter_variants

STEPS = 4


def random_proxies(seed: int = 1) -> dict[str, ProxyTokens]:
    """A letter-like proxy (single tokens, 2 spellings per option) and a text-like one (multi-token
    options of different lengths; [11, 12] is a prefix of [11, 12, 13]; option 0 has 2 alternatives)."""
    generator = torch.Generator().manual_seed(seed)
    prompt = torch.randint(0, VOCAB, (12,), generator=generator).tolist()
    letter = ProxyTokens(prompt, [[[3], [4]], [[5], [6]], [[7], [8]], [[9], [10]]], gold=2)
    text = ProxyTokens(prompt, [[[11, 12, 13], [30, 31]], [[14]], [[11, 12]], [[20, 21, 22, 23]]], gold=1)
    return {"letter": letter, "text": text}


def manual_f(model, proxy: ProxyTokens, objective: str) -> torch.Tensor:
    """F written out: one forward per alternative, eq. 2 summed token by token, no batching."""
    answer = len(proxy.prompt_ids) - 1
    option_scores = []
    for alternatives in proxy.options:
        alt_scores = []
        for tokens in alternatives:
            ids = torch.tensor([proxy.prompt_ids + tokens[:-1]])
            logprobs = torch.log_softmax(model(input_ids=ids).logits[0].float(), dim=-1)
            alt_scores.append(sum(logprobs[answer + j, t] for j, t in enumerate(tokens)))
        option_scores.append(torch.logsumexp(torch.stack(alt_scores), dim=0))
    scores = torch.stack(option_scores)
    if objective == "contrastive":
        return scores[proxy.gold] - torch.logsumexp(scores, dim=0)
    if objective == "gold_prob":
        return scores[proxy.gold].exp()
    return scores[proxy.gold]


def relative_error(a: torch.Tensor, b: torch.Tensor) -> float:
    return ((a - b).abs().max() / b.abs().max()).item()


def kept_entries(monkeypatch) -> list:
    """Record what every `_exact_entries` call kept: the layers a forward may start at."""
    kept = []
    original = ig_cached.exact_entries
    monkeypatch.setattr(ig_cached, "exact_entries", lambda *args: kept.append(original(*args)) or kept[-1])
    return kept


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny matmuls run faster on one thread, and the 2-core CI machine is shared."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def models():
    return {arch: tiny_model(arch) for arch in ARCHITECTURES}


@pytest.mark.parametrize("objective", OBJECTIVES)
@pytest.mark.parametrize("answer_format", ["letter", "text"])
@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_cached_equals_naive(models, arch, answer_format, objective):
    model, proxy = models[arch], random_proxies()[answer_format]
    assert prefix_key_values(model, proxy.prompt_ids[:-1], 4) is not None  # the cached path, not the fallback
    cached = integrated_gradients(model, proxy, objective, steps=STEPS, layer_batch=2)
    naive = integrated_gradients(model, proxy, objective, steps=STEPS, engine="naive")
    assert cached.attributions.shape == (3, D_FF) and cached.attributions.dtype == torch.float32
    assert relative_error(cached.attributions, naive.attributions) < 1e-4
    assert torch.allclose(cached.f_full, naive.f_full, atol=1e-5, rtol=1e-5)
    assert torch.allclose(cached.f_zero, naive.f_zero, atol=1e-5, rtol=1e-5)
    assert torch.allclose(cached.activations, naive.activations, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("answer_format", ["letter", "text"])
@pytest.mark.parametrize("objective", OBJECTIVES)
def test_f_full_and_f_zero_match_a_manual_computation(models, answer_format, objective):
    model, proxy = models["llama"], random_proxies()[answer_format]
    result = integrated_gradients(model, proxy, objective, steps=2)
    with torch.no_grad():
        expected_full = manual_f(model, proxy, objective)
        for row, layer in enumerate(result.layers):
            assert result.f_full[row] == pytest.approx(expected_full.item(), rel=1e-5, abs=1e-6)

            def zero_answer(module, args):
                hidden = args[0].clone()
                hidden[:, len(proxy.prompt_ids) - 1] = 0.0
                return (hidden,)

            handle = ffn_output_projections(model)[layer].register_forward_pre_hook(zero_answer)
            try:
                expected_zero = manual_f(model, proxy, objective)
            finally:
                handle.remove()
            assert result.f_zero[row] == pytest.approx(expected_zero.item(), rel=1e-5, abs=1e-6)


def test_answer_activations_are_the_projection_inputs_at_the_last_prompt_token(models):
    model, proxy = models["gpt2"], random_proxies()["letter"]
    seen = []
    handle = ffn_output_projections(model)[1].register_forward_pre_hook(lambda m, a: seen.append(a[0][0, -1].clone()))
    try:
        with torch.no_grad():
            model(input_ids=torch.tensor([proxy.prompt_ids]))
    finally:
        handle.remove()
    activations = answer_activations(model, proxy.prompt_ids)
    assert activations.shape == (3, D_FF)
    assert torch.allclose(activations[1], seen[0])


@pytest.mark.parametrize("answer_format", ["letter", "text"])
@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_completeness(arch, answer_format):
    """Σ_i IG_i = F(ŵ) − F(0) per layer, up to the right Riemann sum's O(1/m) error (m = 500).

    Weights drawn 10× wider than the default init, so that outputs are peaked enough for F(ŵ) − F(0)
    to be well away from 0 (the relative error is meaningless otherwise)."""
    config = tiny_config(arch)
    config.initializer_range = 0.2
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32).eval()
    result = integrated_gradients(model, random_proxies()[answer_format], "contrastive", steps=500, layer_batch=3)
    delta = result.f_full - result.f_zero
    checked = 0
    for row in range(len(result.layers)):
        if delta[row].abs() < 5e-3:
            continue
        checked += 1
        assert (result.attributions[row].sum() - delta[row]).abs() < 0.01 * delta[row].abs()
    assert checked >= 2


def test_continuations_share_their_beginnings():
    """The trie behind the cached pass: the answer token, then each distinct beginning once."""
    text = random_proxies()["text"].continuations()
    # root; 11; 11 12; 30; 20; 20 21; 20 21 22  (14 and the last token of every option are targets only)
    assert len(text.tokens) == 7 and text.parents[0] == -1
    assert sorted(text.depths()) == [0, 1, 1, 1, 2, 2, 3]
    assert len(random_proxies()["letter"].continuations().tokens) == 1


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_layers_below_a_chunk_run_once_where_the_forward_reenters_exactly(models, arch, monkeypatch):
    """Chunks [0, 1] and [2]: the second starts at decoder layer 2 wherever the model's forward takes
    that layer's input as inputs_embeds unchanged; GPT-2 adds position embeddings there, so it must
    fall back to running every layer. Either way the numbers equal the naive engine's."""
    model, proxy = models[arch], random_proxies()["text"]
    kept = kept_entries(monkeypatch)
    started = []
    original_starting_at = ig_layouts.DecoderStack.starting_at
    monkeypatch.setattr(
        ig_layouts.DecoderStack,
        "starting_at",
        lambda self, layer: started.append(layer) or original_starting_at(self, layer),
    )
    cached = integrated_gradients(model, proxy, "contrastive", steps=STEPS, layer_batch=2)
    naive = integrated_gradients(model, proxy, "contrastive", steps=STEPS, engine="naive")
    assert relative_error(cached.attributions, naive.attributions) < 1e-4
    assert list(kept[0]) == ([] if arch == "gpt2" else [2])
    assert (started.count(2) > 1) == (arch != "gpt2")  # once for the check, then once per pass
    assert len(ig_layouts.DecoderStack(LoadedModel.wrap(model)).layers) == 3  # the full list is back


def test_objectives_share_one_forward_and_equal_separate_runs(models):
    model, proxy = models["llama"], random_proxies()["text"]
    both = ig.integrated_gradients_many(model, proxy, ["contrastive", "gold_prob"], steps=STEPS, layer_batch=2)
    for objective in ("contrastive", "gold_prob"):
        alone = integrated_gradients(model, proxy, objective, steps=STEPS, layer_batch=2)
        assert both[objective].objective == objective
        assert relative_error(both[objective].attributions, alone.attributions) < 1e-6
        assert torch.allclose(both[objective].f_full, alone.f_full)


@pytest.mark.parametrize("layer_batch", [1, 2, 5])
def test_layer_subsets_and_chunking_do_not_change_the_numbers(models, layer_batch):
    model, proxy = models["qwen2"], random_proxies()["text"]
    everything = integrated_gradients(model, proxy, "contrastive", steps=STEPS, layer_batch=3)
    subset = integrated_gradients(
        model, proxy, "contrastive", steps=STEPS, layers=[2, 0], layer_batch=layer_batch, pass_tokens=16, progress=True
    )
    assert subset.layers == [2, 0]
    assert relative_error(subset.attributions, everything.attributions[[2, 0]]) < 1e-5


def test_fallback_without_a_prefix_cache_equals_naive(models, monkeypatch):
    """Models whose cache the packed pass cannot use get full rows, with the same numbers."""
    model, proxy = models["llama"], random_proxies()["text"]
    naive = integrated_gradients(model, proxy, "contrastive", steps=STEPS, engine="naive")
    monkeypatch.setattr(ig_cached, "prefix_key_values", lambda *args, **kwargs: None)
    fallback = integrated_gradients(model, proxy, "contrastive", steps=STEPS, layer_batch=2)
    assert relative_error(fallback.attributions, naive.attributions) < 1e-4
    assert torch.allclose(fallback.f_zero, naive.f_zero, atol=1e-5)


@pytest.mark.parametrize("window", [6, 13, 15])
def test_sliding_window_shorter_or_longer_than_the_prompt(window):
    """Window 6 < prefix: the cache drops tokens, so full rows; 13: prefix fits but prefix + the
    4-token continuation does not, full rows again; 15: the packed cached pass."""
    config = tiny_config("mistral")
    config.sliding_window = window
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, dtype=torch.float32).eval()
    proxy = random_proxies()["text"]
    uses_cache = prefix_key_values(model, proxy.prompt_ids[:-1], 4) is not None
    assert uses_cache == (window == 15)
    cached = integrated_gradients(model, proxy, "contrastive", steps=STEPS)
    naive = integrated_gradients(model, proxy, "contrastive", steps=STEPS, engine="naive")
    assert relative_error(cached.attributions, naive.attributions) < 1e-4


@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_eager_attention(arch):
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(tiny_config(arch), dtype=torch.float32, attn_implementation="eager").eval()
    proxy = random_proxies()["text"]
    cached = integrated_gradients(model, proxy, "gold_logprob", steps=STEPS)
    naive = integrated_gradients(model, proxy, "gold_logprob", steps=STEPS, engine="naive")
    assert relative_error(cached.attributions, naive.attributions) < 1e-4


def test_bfloat16_model_gives_float32_close_to_naive():
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(tiny_config("llama"), dtype=torch.bfloat16).eval()
    proxy = random_proxies()["letter"]
    cached = integrated_gradients(model, proxy, "contrastive", steps=STEPS)
    naive = integrated_gradients(model, proxy, "contrastive", steps=STEPS, engine="naive")
    assert cached.attributions.dtype == torch.float32 and cached.f_full.dtype == torch.float32
    assert relative_error(cached.attributions, naive.attributions) < 0.05  # bf16 rounding, different batching


@pytest.mark.parametrize("answer_format", ["letter", "text"])
@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_activation_times_gradient_equals_autograd(models, arch, answer_format):
    """a·∂F/∂a = ∂F/∂s at s = 1, for a gate s multiplying every layer's answer-position neurons."""
    model, proxy = models[arch], random_proxies()[answer_format]
    answer = len(proxy.prompt_ids) - 1
    gates = [torch.ones(D_FF, requires_grad=True) for _ in range(3)]

    def gate(layer):
        def hook(module, args):
            hidden = args[0].clone()
            hidden[:, answer] = args[0][:, answer] * gates[layer]
            return (hidden,)

        return hook

    handles = [p.register_forward_pre_hook(gate(i)) for i, p in enumerate(ffn_output_projections(model))]
    try:
        manual_f(model, proxy, "gold_logprob").backward()
    finally:
        for handle in handles:
            handle.remove()
    expected = torch.stack([g.grad for g in gates])
    got = activation_times_gradient(model, proxy, "gold_logprob")
    assert got.shape == (3, D_FF)
    assert relative_error(got, expected) < 1e-4


def test_the_model_is_left_as_found(models):
    model, proxy = models["gptneox"], random_proxies()["text"]
    flags = [i % 3 != 0 for i, _ in enumerate(model.parameters())]
    for flag, parameter in zip(flags, model.parameters()):
        parameter.requires_grad_(flag)
    ids = torch.tensor([proxy.prompt_ids])
    with torch.no_grad():
        before = model(input_ids=ids).logits
    integrated_gradients(model, proxy, "contrastive", steps=2)
    integrated_gradients(model, proxy, "gold_prob", steps=2, engine="naive")
    activation_times_gradient(model, proxy)
    answer_activations(model, proxy.prompt_ids)
    with torch.no_grad():
        after = model(input_ids=ids).logits
    assert torch.equal(before, after)
    assert [p.requires_grad for p in model.parameters()] == flags
    assert all(not m._forward_pre_hooks for m in model.modules())
    assert all(p.grad is None for p in model.parameters())
    for parameter in model.parameters():
        parameter.requires_grad_(True)


@pytest.mark.parametrize("engine", ["cached", "naive"])
def test_hooks_and_flags_restored_when_the_objective_fails(models, monkeypatch, engine):
    model, proxy = models["llama"], random_proxies()["letter"]
    model.train()

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(ig_cached, "objective_from_scores", broken)
    monkeypatch.setattr("neuronllm.attribution.ig.naive.objective_from_scores", broken)
    with pytest.raises(RuntimeError, match="boom"):
        integrated_gradients(model, proxy, "contrastive", steps=2, engine=engine)
    assert model.training
    model.eval()
    assert all(p.requires_grad for p in model.parameters())
    assert all(not m._forward_pre_hooks for m in model.modules())


def test_user_errors(models):
    model, proxy = models["llama"], random_proxies()["letter"]
    with pytest.raises(UserError, match="objective"):
        integrated_gradients(model, proxy, "cross_entropy")
    with pytest.raises(UserError, match="engine"):
        integrated_gradients(model, proxy, "contrastive", engine="fast")
    with pytest.raises(UserError, match="layers"):
        integrated_gradients(model, proxy, "contrastive", layers=[3])
    with pytest.raises(UserError, match="gold"):
        ProxyTokens([1, 2], [[[3]], [[4]]], gold=2)
    with pytest.raises(UserError, match="option 1"):
        ProxyTokens([1, 2], [[[3]], [[]]], gold=0)


# ----------------------------------------------------------------------------------------------
# The embedded SmolLM2-135M on a real AQUA prompt

NER_PROMPT = (
    "You are an excellent linguist. Your task is to identify the entity type of a given word or phrase in a "
    "sentence (Person, Organization, Location, Product, Event, Art, Other, Building).\n"
    "When you are given a multiple-choice question, respond with the letter which corresponds to the correct "
    "answer, followed by a period. There is no need to provide an explanation, so your response should be very short.\n"
    "Here is an example: What is the entity type of 'Kong' in the following sentence:\n"
    "'Oknha Son Kuy had 5 close associates in arms : Phuchhuoy (or District Administrator) Kong, Mr.Meun Ek, "
    "Mr.Ta Mong, Mr.Tesa Saom (some called him Ansa Saom) and Mr.Ta Mono Ros.'\n"
    "Options:\nA. other B. organization C. art D. person\nCorrect answer: D\n\n"
    "Now here is the question: What is the entity type of 'Sandy Koufax' in the following sentence:\n"
    "'The Yankees easily reached the 1963 World Series when they won the pennant by 10.5 games, but they scored "
    "only four runs in the series and were swept by the Los Angeles Dodgers and their ace pitcher, Sandy Koufax.'\n"
    "Options:\nA. organization B. product C. event D. person\nCorrect answer:"
)
NER_OPTIONS = ["organization", "product", "event", "person"]


def test_proxy_tokens_follow_the_evaluation_tokenization(embedded):
    _, tokenizer = embedded
    letter = proxy_tokens(tokenizer, NER_PROMPT, NER_OPTIONS, 3, "letter")
    assert letter.options == [letter_variants(tokenizer, c) for c in "ABCD"]
    assert letter.prompt_ids == tokenizer.encode(NER_PROMPT)
    text = proxy_tokens(tokenizer, NER_PROMPT, NER_OPTIONS, 3, "text")
    assert text.options == [[encode_pair(tokenizer, NER_PROMPT, " " + o)[1]] for o in NER_OPTIONS]
    assert text.prompt_ids == letter.prompt_ids
    with pytest.raises(UserError, match="answer format"):
        proxy_tokens(tokenizer, NER_PROMPT, NER_OPTIONS, 3, "number")


def test_cached_equals_naive_on_the_embedded_model(embedded, monkeypatch):
    """A real 290-token prompt; bottom and top layer, m = 3 (about 15 s: the naive side dominates).
    One layer per chunk, so layer 29's passes start at decoder layer 29."""
    model, tokenizer = embedded
    proxy = proxy_tokens(tokenizer, NER_PROMPT, NER_OPTIONS, 3, "letter")
    assert 240 <= len(proxy.prompt_ids) <= 320
    layers = [0, 29]
    kept = kept_entries(monkeypatch)
    cached = integrated_gradients(model, proxy, "contrastive", steps=3, layers=layers, layer_batch=1)
    assert list(kept[0]) == [29]
    naive = integrated_gradients(model, proxy, "contrastive", steps=3, layers=layers, engine="naive")
    assert relative_error(cached.attributions, naive.attributions) < 1e-4
    assert torch.allclose(cached.f_zero, naive.f_zero, atol=1e-4)


EMBEDDED_TEXT_OPTIONS = ["a baseball team", "a consumer product", "a sporting event", "a baseball player"]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("answer_format", "objective"),
    [("letter", "contrastive"), ("letter", "gold_prob"), ("text", "contrastive"), ("text", "gold_logprob")],
)
def test_cached_equals_naive_on_the_embedded_model_more_layers(embedded, answer_format, objective):
    model, tokenizer = embedded
    proxy = proxy_tokens(tokenizer, NER_PROMPT, EMBEDDED_TEXT_OPTIONS, 3, answer_format)
    if answer_format == "text":
        assert all(len(option[0]) > 1 for option in proxy.options)
    layers = [0, 14, 29]
    cached = integrated_gradients(model, proxy, objective, steps=4, layers=layers, layer_batch=1)
    naive = integrated_gradients(model, proxy, objective, steps=4, layers=layers, engine="naive")
    assert relative_error(cached.attributions, naive.attributions) < 1e-4


@pytest.mark.parametrize("answer_format", ["letter", "text"])
@pytest.mark.parametrize("arch", ["llama", "gpt2"])
def test_endpoint_gradient_gives_tn_and_act_without_their_own_passes(models, arch, answer_format):
    """TN's a·∂ log P/∂a from the IG pass (a · ∂P/∂a / P at w = n̂) equals its own forward and backward,
    and the IG pass's n̂ equals ACT's activations."""
    from neuronllm.attribution.kinds import _gradient_x_activation

    model, proxy = models[arch], random_proxies()[answer_format]
    results = ig.integrated_gradients_many(model, proxy, ["contrastive", "gold_prob"], steps=STEPS, layer_batch=2)
    loaded = LoadedModel.wrap(model)
    direct = activation_times_gradient(model, proxy, "gold_logprob")
    assert relative_error(_gradient_x_activation(loaded, proxy, results), direct) < 1e-4
    assert torch.allclose(results["gold_prob"].activations, answer_activations(model, proxy.prompt_ids), atol=1e-5)
    naive = ig.integrated_gradients_many(model, proxy, ["gold_prob"], steps=STEPS, engine="naive")
    assert relative_error(naive["gold_prob"].endpoint_gradient, results["gold_prob"].endpoint_gradient) < 1e-4


def test_both_engines_return_named_results(models):
    """The engines' results are read by name, not by position (a 5- and a 4-tuple once were): each gives
    every requested objective's LayerIG and the same n̂."""
    from neuronllm.attribution.ig.cached import cached_ig
    from neuronllm.attribution.ig.naive import naive_ig
    from neuronllm.attribution.ig.proxy import EngineResult, LayerIG

    loaded, proxy = LoadedModel.wrap(models["llama"]), random_proxies()["text"]
    layers = [0, 2]
    naive = naive_ig(loaded, proxy, "contrastive", STEPS, layers, D_FF, False)
    cached = cached_ig(loaded, proxy, ["contrastive", "gold_prob"], STEPS, layers, D_FF, 2, 512, False)
    assert isinstance(naive, EngineResult) and isinstance(cached, EngineResult)
    assert list(naive.per_objective) == ["contrastive"] and list(cached.per_objective) == ["contrastive", "gold_prob"]
    for result in (naive, cached):
        ig_of = result.per_objective["contrastive"]
        assert isinstance(ig_of, LayerIG) and ig_of.attributions.shape == ig_of.endpoint_gradient.shape == (2, D_FF)
        assert ig_of.f_full.shape == ig_of.f_zero.shape == (2,)
    torch.testing.assert_close(naive.activations, cached.activations, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(
        naive.per_objective["contrastive"].f_zero, cached.per_objective["contrastive"].f_zero, atol=1e-5, rtol=1e-5
    )
