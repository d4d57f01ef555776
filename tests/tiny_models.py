"""Tiny randomly initialised models built offline from configs, one per supported architecture."""

from __future__ import annotations

import torch
from transformers import (
    AutoModelForCausalLM,
    GPT2Config,
    GPTNeoXConfig,
    LlamaConfig,
    MistralConfig,
    Qwen2Config,
)

VOCAB = 128
D_FF = 48


def tiny_config(arch: str, **overrides):
    """The architecture's tiny config; `overrides` (llama only) change its fields (vocab_size, layers, ...)."""
    common = dict(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=3, num_attention_heads=4)
    if arch == "llama":
        return LlamaConfig(**(dict(intermediate_size=D_FF, num_key_value_heads=2) | common | overrides))
    assert not overrides, "overrides apply to the llama config"
    if arch == "mistral":
        return MistralConfig(intermediate_size=D_FF, num_key_value_heads=2, **common)
    if arch == "qwen2":
        return Qwen2Config(intermediate_size=D_FF, num_key_value_heads=2, **common)
    if arch == "gptneox":
        return GPTNeoXConfig(intermediate_size=D_FF, **common)
    if arch == "gpt2":
        return GPT2Config(vocab_size=VOCAB, n_embd=32, n_layer=3, n_head=4, n_inner=D_FF)
    raise ValueError(arch)


ARCHITECTURES = ("llama", "mistral", "qwen2", "gpt2", "gptneox")


def save_tiny_llama(directory, tokenizer, seed: int = 0, **overrides) -> str:
    """A tiny random LLaMA (tiny_config's sizes, `tokenizer`'s vocabulary, tied embeddings) saved with the
    tokenizer as a local model directory: a real `--model DIR` that loads in a second."""
    torch.manual_seed(seed)
    config = tiny_config("llama", vocab_size=len(tokenizer), tie_word_embeddings=True, **overrides)
    AutoModelForCausalLM.from_config(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return str(directory)


def tiny_model(arch: str, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(tiny_config(arch), dtype=torch.float32)
    return model.eval()
