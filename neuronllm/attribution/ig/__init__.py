"""Integrated gradients of FFN neurons at the answer position (docs/method.md §3, eq. 1).

A layer's neuron vector n_l ∈ R^{d_ff} is the input of its FFN output projection (neuronllm/model/loading.py) at the
*answer position* T-1, the last prompt token. Attribution scales ALL neurons of ONE layer there by α
(every other layer and position untouched) and integrates along that path (right Riemann sum, m steps):

    IG(w) = (ŵ/m) · Σ_{k=1..m} ∂F(k·ŵ/m)/∂w                          [eq. 1]

Completeness: Σ_i IG_i ≈ F(ŵ) − F(0) for each layer, up to the Riemann error.

F is computed in float32 from option scores. An option is a list of alternative token continuations
(letter format: " A" and "A"; text format: the tokens of " " + option text), and
    score(o)       = logsumexp_a Σ_j log p(a_j | prompt, a_<j)         [eq. 2]
    contrastive:   F = score(gold) − logsumexp_o score(o)              (CNI: log-softmax over the options)
    gold_prob:     F = exp(score(gold))                                (KN, QRNCA: whole-vocabulary probability)
    gold_logprob:  F = score(gold)                                     (TN's task loss is −F)

Two engines compute the same numbers (to float rounding; the tests check < 1e-4 relative):
- `naive` (ig/naive.py), the reference: for every layer and every k, one forward over the full prompt
  followed by each continuation and one backward.
- `cached` (ig/cached.py): the prompt prefix runs once into a KV cache (neuronllm/scoring/prefix_kv.py) and every
  (layer, step) group re-runs only the answer position and the option tokens, many groups packed into
  one forward; layers below a chunk run once. See that module for why it is exact.
Both differentiate the hook point `blocks.{layer}.mlp.hook_post` (neuronllm/model/hooks.py). TN's activation ×
gradient is ig/gradient.py. Several objectives share each forward (`integrated_gradients_many`).
"""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

from neuronllm.attribution import IG_LAYER_BATCH, IG_STEPS
from neuronllm.attribution.ig.cached import PASS_TOKENS, cached_ig
from neuronllm.attribution.ig.gradient import activation_times_gradient
from neuronllm.attribution.ig.naive import naive_ig
from neuronllm.attribution.ig.proxy import (
    ANSWER_FORMATS,
    LETTERS,
    OBJECTIVES,
    IGResult,
    ProxyTokens,
    objective_from_scores,
    proxy_tokens,
)
from neuronllm.attribution.ig.shared import answer_activations, check_layers, frozen
from neuronllm.errors import UserError
from neuronllm.model.loading import LoadedModel

ENGINES = ("cached", "naive")

__all__ = [
    "ANSWER_FORMATS",
    "ENGINES",
    "LETTERS",
    "OBJECTIVES",
    "PASS_TOKENS",
    "IGResult",
    "ProxyTokens",
    "activation_times_gradient",
    "answer_activations",
    "integrated_gradients",
    "integrated_gradients_many",
    "objective_from_scores",
    "proxy_tokens",
]


def integrated_gradients(
    model: nn.Module | LoadedModel,
    proxy: ProxyTokens,
    objective: str,
    steps: int = IG_STEPS,
    layers: Sequence[int] | None = None,
    engine: str = "cached",
    layer_batch: int = IG_LAYER_BATCH,
    progress: bool = False,
    pass_tokens: int = PASS_TOKENS,
) -> IGResult:
    """IG of eq. 1 for every neuron of `layers` (default all) at the answer position of one proxy QA.

    objective: contrastive | gold_prob | gold_logprob (module docstring). steps: m of the Riemann sum.
    engine: `cached` (fast, exact) or `naive` (the reference). layer_batch: layers whose (m+1) steps
    share one backward in the cached engine; pass_tokens: tokens per batched forward there (memory
    grows with it, and attention within a pass grows with its square). progress: a tqdm bar.
    Returns an IGResult; attributions [len(layers), d_ff] float32 on the CPU, row i = layer layers[i].
    """
    return integrated_gradients_many(
        model, proxy, [objective], steps, layers, engine, layer_batch, progress, pass_tokens
    )[objective]


def integrated_gradients_many(
    model: nn.Module | LoadedModel,
    proxy: ProxyTokens,
    objectives: Sequence[str],
    steps: int = IG_STEPS,
    layers: Sequence[int] | None = None,
    engine: str = "cached",
    layer_batch: int = IG_LAYER_BATCH,
    progress: bool = False,
    pass_tokens: int = PASS_TOKENS,
) -> dict[str, IGResult]:
    """`integrated_gradients` for several objectives of the same proxy: the cached engine runs each
    forward once for all of them (same path, same logits) and back-propagates once per objective."""
    unknown = [o for o in objectives if o not in OBJECTIVES]
    if unknown or not objectives:
        raise UserError(
            f"unknown IG objective {unknown[0] if unknown else None!r}: expected one of {', '.join(OBJECTIVES)}"
        )
    if engine not in ENGINES:
        raise UserError(f"unknown IG engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if steps < 1 or layer_batch < 1:
        raise UserError(f"steps ({steps}) and layer_batch ({layer_batch}) must be at least 1")
    loaded = LoadedModel.wrap(model)
    chosen, d_ff = check_layers(loaded, layers)
    objectives = list(dict.fromkeys(objectives))
    with frozen(loaded.model):
        if engine == "naive":
            per_objective = {}
            for objective in objectives:
                result = naive_ig(loaded, proxy, objective, steps, chosen, d_ff, progress)
                per_objective[objective] = result.per_objective[objective]
                activations = result.activations
        else:
            per_objective, activations = cached_ig(
                loaded, proxy, objectives, steps, chosen, d_ff, layer_batch, pass_tokens, progress
            )
    results = {}
    for objective in objectives:
        ig = per_objective[objective]
        results[objective] = IGResult(
            attributions=ig.attributions,
            f_full=ig.f_full,
            f_zero=ig.f_zero,
            activations=activations,
            layers=chosen,
            objective=objective,
            steps=steps,
            endpoint_gradient=ig.endpoint_gradient,
        )
    return results
