"""What integrated gradients score: one proxy QA as tokens, the objective F, and the result record.

score(o)       = logsumexp_a Σ_j log p(a_j | prompt, a_<j)         [eq. 2]
contrastive:   F = score(gold) − logsumexp_o score(o)              (CNI: log-softmax over the options)
gold_prob:     F = exp(score(gold))                                (KN, QRNCA: whole-vocabulary probability)
gold_logprob:  F = score(gold)                                     (TN's task loss is −F)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NamedTuple

import torch

from neuronllm.errors import UserError
from neuronllm.scoring.continuations import Continuations
from neuronllm.scoring.tokens import encode_pair, letter_variants

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

OBJECTIVES = ("contrastive", "gold_prob", "gold_logprob")
ANSWER_FORMATS = ("letter", "text")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@dataclass(frozen=True)
class ProxyTokens:
    """One proxy QA as token ids.

    prompt_ids: the context; its last token is the answer position.
    options[o][a]: the token ids of alternative a of option o (score(o) = logsumexp over a).
    gold: index of the correct option.
    """

    prompt_ids: list[int]
    options: list[list[list[int]]]
    gold: int

    def __post_init__(self) -> None:
        if not self.prompt_ids:
            raise UserError("proxy QA has an empty prompt")
        if len(self.options) < 1 or not (0 <= self.gold < len(self.options)):
            raise UserError(f"gold option {self.gold} is not one of the {len(self.options)} options")
        for o, alternatives in enumerate(self.options):
            if not alternatives or any(len(a) == 0 for a in alternatives):
                raise UserError(f"option {o} has no tokens to score")

    @property
    def answer_position(self) -> int:
        return len(self.prompt_ids) - 1

    def alternatives(self) -> list[tuple[int, list[int]]]:
        """(option index, tokens) of every alternative, flattened in option order."""
        return [(o, list(a)) for o, alts in enumerate(self.options) for a in alts]

    def continuations(self) -> Continuations:
        return Continuations.build(self.prompt_ids[-1], self.options)


def proxy_tokens(
    tokenizer: PreTrainedTokenizerBase,
    prompt: str,
    option_texts: Sequence[str],
    gold: int,
    answer_format: Literal["letter", "text"] = "letter",
) -> ProxyTokens:
    """Tokenize a proxy QA the way the evaluation scores it (neuronllm/scoring/tokens.py).

    letter: option o is the letter LETTERS[o], scored by its single-token spellings (" A", "A").
    text:   option o is the continuation " " + option_texts[o], split from the prompt by encode_pair.
    """
    if answer_format not in ANSWER_FORMATS:
        raise UserError(f"unknown answer format {answer_format!r}: expected one of {', '.join(ANSWER_FORMATS)}")
    if not option_texts:
        raise UserError("a proxy QA needs at least one option")
    if answer_format == "letter":
        if len(option_texts) > len(LETTERS):
            raise UserError(f"{len(option_texts)} options: at most {len(LETTERS)} letters are supported")
        prompt_ids, _ = encode_pair(tokenizer, prompt, " " + LETTERS[0])
        options = [letter_variants(tokenizer, LETTERS[o]) for o in range(len(option_texts))]
        return ProxyTokens(list(prompt_ids), options, gold)
    text_prompt_ids: list[int] | None = None
    options = []
    for text in option_texts:
        context_ids, continuation_ids = encode_pair(tokenizer, prompt, " " + text)
        if text_prompt_ids is not None and list(context_ids) != text_prompt_ids:
            raise UserError(f"option {text!r} changes the tokenization of the prompt")
        text_prompt_ids = list(context_ids)
        if not continuation_ids:
            raise UserError(f"option {text!r} tokenizes to nothing")
        options.append([list(continuation_ids)])
    return ProxyTokens(text_prompt_ids or [], options, gold)


def objective_from_scores(option_scores: torch.Tensor, gold: int, objective: str) -> torch.Tensor:
    """F from option scores: [..., n_options] float32 -> [...] (see the module docstring)."""
    gold_score = option_scores[..., gold]
    if objective == "contrastive":
        return gold_score - torch.logsumexp(option_scores, dim=-1)
    if objective == "gold_prob":
        return gold_score.exp()
    if objective == "gold_logprob":
        return gold_score
    raise UserError(f"unknown IG objective {objective!r}: expected one of {', '.join(OBJECTIVES)}")


class LayerIG(NamedTuple):
    """One objective's per-layer numbers from an IG engine (rows: the requested layers, in order)."""

    attributions: torch.Tensor  # [n_layers, d_ff] IG of eq. 1
    f_full: torch.Tensor  # [n_layers] F at α = 1
    f_zero: torch.Tensor  # [n_layers] F at α = 0
    endpoint_gradient: torch.Tensor  # [n_layers, d_ff] ∂F/∂w at w = n̂


class EngineResult(NamedTuple):
    """What an IG engine returns: each objective's LayerIG and n̂, the unmodified answer-position neurons
    [n_layers, d_ff] (one forward gives them to every objective)."""

    per_objective: dict[str, LayerIG]
    activations: torch.Tensor


@dataclass
class IGResult:
    """Attributions of one proxy QA.

    attributions: [n_layers, d_ff] float32 cpu, IG of eq. 1 (row i is model layer layers[i]).
    f_full:       [n_layers] F at α = 1 (the unmodified model).
    f_zero:       [n_layers] F with that layer's answer-position neurons zeroed (α = 0).
    activations:  [n_layers, d_ff] n̂, the unmodified answer-position neurons.
    layers:       which model layers the rows are (all of them by default).
    endpoint_gradient: [n_layers, d_ff] ∂F/∂w at w = n̂ (the path's last point, k = m): the total
                  derivative of F with respect to the layer's answer-position neurons, which TN's
                  activation x gradient reads (neuronllm/attribution/kinds.py) without a pass of its own.
    """

    attributions: torch.Tensor
    f_full: torch.Tensor
    f_zero: torch.Tensor
    activations: torch.Tensor
    layers: list[int]
    objective: str
    steps: int
    endpoint_gradient: torch.Tensor | None = None
