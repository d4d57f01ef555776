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


def tiny_config(arch: str):
    common = dict(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=3, num_attention_heads=4)
    if arch == "llama":
        return LlamaConfig(intermediate_size=D_FF, num_key_value_heads=2, **common)
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


def tiny_model(arch: str, seed: int = 0) -> torch.nn.Module:
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(tiny_config(arch), dtype=torch.float32)
    return model.eval()
