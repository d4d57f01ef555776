"""Tokenization shared by evaluation and identification, so both score exactly the same tokens.

`encode_pair` mirrors lm-eval's HFLM._encode_pair (0.4.13): trailing spaces of the context move to
the continuation, the whole string is encoded, and the continuation is what follows the context's
tokens. Identification (IG objectives) must use the same split, or it would attribute a different
quantity from the one the evaluation measures.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase


def encode_pair(tokenizer: PreTrainedTokenizerBase, context: str, continuation: str) -> tuple[list[int], list[int]]:
    """(context_ids, continuation_ids) exactly as lm-eval's HF backend tokenizes a loglikelihood request."""
    n_spaces = len(context) - len(context.rstrip())
    if n_spaces > 0:
        continuation = context[-n_spaces:] + continuation
        context = context[:-n_spaces]
    whole = tokenizer.encode(context + continuation)
    context_ids = tokenizer.encode(context)
    return context_ids, whole[len(context_ids) :]


def letter_variants(tokenizer: PreTrainedTokenizerBase, letter: str) -> list[list[int]]:
    """The single-token spellings of an option letter after "Correct answer:": " A" and "A".

    A letter's score is the logsumexp of their next-token log-probabilities (docs/method.md §2): models
    differ in which spelling they prefer, and merging both keeps the score tokenizer-neutral.
    Spellings that are not a single token are skipped; duplicates are dropped.
    """
    variants: list[list[int]] = []
    for spelling in (" " + letter, letter):
        ids = tokenizer.encode(spelling, add_special_tokens=False)
        if len(ids) == 1 and ids not in variants:
            variants.append(ids)
    if not variants:
        raise ValueError(f"tokenizer has no single-token spelling of option letter {letter!r}")
    return variants
