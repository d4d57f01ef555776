"""Paper-scale model *shapes* without the hub: LLaMA-2-7B / 13B and Baichuan2-7B built from their
public shape numbers with seeded random weights, written as a plain HF directory.

Random weights say nothing about accuracy, but everything about memory, time and exactness at the
real sizes (benchmarks/scale_rehearsal.py). The directory loads through `load_model` like any user
model. The tokenizer is the embedded one (it exists offline and tokenizes the same AQUA proxies), so
the vocabulary is the tokenizer's, not the shape's: `ShapeReport.vocab_parameter_difference` says
how many embedding + head parameters that adds or removes.

Weights are generated tensor by tensor (one seeded generator per tensor, two threads) straight into
safetensors shards: building a 7B shape never holds more than one shard in memory and takes about a
minute; nothing runs a per-parameter `init`.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from neuronllm.errors import UserError

if TYPE_CHECKING:
    import torch

# name -> (hidden, FFN width, layers, heads, vocabulary, RMSNorm eps): the published model configs.
SHAPES: dict[str, dict[str, Any]] = {
    "llama2-7b": dict(
        hidden_size=4096,
        intermediate_size=11008,
        num_hidden_layers=32,
        num_attention_heads=32,
        vocab_size=32000,
        rms_norm_eps=1e-5,
        max_position_embeddings=4096,
    ),
    "llama2-13b": dict(
        hidden_size=5120,
        intermediate_size=13824,
        num_hidden_layers=40,
        num_attention_heads=40,
        vocab_size=32000,
        rms_norm_eps=1e-5,
        max_position_embeddings=4096,
    ),
    # Baichuan2-7B is LLaMA-like (fused W_pack = q,k,v; NormHead): the same arithmetic as a LlamaForCausalLM.
    "baichuan2-7b": dict(
        hidden_size=4096,
        intermediate_size=11008,
        num_hidden_layers=32,
        num_attention_heads=32,
        vocab_size=125696,
        rms_norm_eps=1e-6,
        max_position_embeddings=4096,
    ),
    # A small LLaMA whose activations, not the runtime, dominate its memory: calibrating the memory model.
    "small": dict(
        hidden_size=1024,
        intermediate_size=2816,
        num_hidden_layers=8,
        num_attention_heads=16,
        vocab_size=32000,
        rms_norm_eps=1e-5,
        max_position_embeddings=2048,
    ),
    # A tiny LLaMA for tests and the CPU run of benchmarks/gpu_check.sh.
    "tiny": dict(
        hidden_size=64,
        intermediate_size=172,
        num_hidden_layers=4,
        num_attention_heads=4,
        vocab_size=32000,
        rms_norm_eps=1e-5,
        max_position_embeddings=2048,
    ),
}
SHARD_BYTES = 2 * 2**30
WEIGHT_STD = 0.02  # LLaMA's initializer_range


@dataclass
class ShapeReport:
    """What was built: the shape, the layers kept, the vocabulary used and its parameter difference."""

    shape: str
    layers: int
    full_layers: int
    dtype: str
    seed: int
    vocab_size: int
    shape_vocab_size: int
    parameters: int
    vocab_parameter_difference: int  # (tokenizer vocab - shape vocab) x hidden x 2 (embedding + untied head)
    bytes: int
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def shape_config(shape: str, layers: int | None = None, vocab_size: int | None = None, **special: Any) -> Any:
    """A LlamaConfig of a named shape (`layers` truncates the depth; `vocab_size` replaces the shape's)."""
    from transformers import LlamaConfig

    if shape not in SHAPES:
        raise UserError(f"unknown shape {shape!r}: expected one of {', '.join(SHAPES)}")
    numbers = dict(SHAPES[shape])
    full = numbers["num_hidden_layers"]
    if layers is not None:
        if not 1 <= int(layers) <= full:
            raise UserError(f"--layers {layers}: the {shape} shape has 1..{full} layers")
        numbers["num_hidden_layers"] = int(layers)
    if vocab_size is not None:
        numbers["vocab_size"] = int(vocab_size)
    return LlamaConfig(
        num_key_value_heads=numbers["num_attention_heads"],
        tie_word_embeddings=False,
        hidden_act="silu",
        rope_theta=10000.0,
        **numbers,
        **special,
    )  # type: ignore[call-arg]  # transformers 5 takes rope_theta through **kwargs


def _tensor_seed(seed: int, name: str) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{name}".encode()).digest()[:8], "little") & (2**63 - 1)


def _generate(name: str, shape: tuple[int, ...], dtype: torch.dtype, seed: int) -> torch.Tensor:
    """One tensor: norms are ones (as LLaMA initialises them), matrices N(0, 0.02²) from their own generator."""
    import torch

    if name.endswith("norm.weight"):
        return torch.ones(shape, dtype=dtype)
    generator = torch.Generator().manual_seed(_tensor_seed(seed, name))
    return torch.empty(shape, dtype=dtype).normal_(0.0, WEIGHT_STD, generator=generator)


def build_shape(
    shape: str,
    directory: str | Path,
    dtype: str = "bfloat16",
    layers: int | None = None,
    seed: int = 0,
    tokenizer_dir: str | Path | None = None,
) -> ShapeReport:
    """Write a `shape` model with seeded random weights and the embedded tokenizer to `directory`.

    The directory (config.json, model-*.safetensors + index, tokenizer files, shape.json) loads with
    `load_model(str(directory), dtype=...)`. An existing directory built with the same arguments is
    reused; one built otherwise is an error (nothing is overwritten)."""
    import time

    import torch
    from safetensors.torch import save_file
    from transformers import AutoTokenizer, LlamaForCausalLM

    torch_dtype = getattr(torch, dtype, None)
    if not isinstance(torch_dtype, torch.dtype) or not torch_dtype.is_floating_point:
        raise UserError(f"unknown dtype {dtype!r}: expected float32, bfloat16 or float16")
    directory = Path(directory)
    if tokenizer_dir is None:
        from neuronllm.model.embedded import SMOLLM2, embedded_model_dir

        tokenizer_dir = embedded_model_dir(SMOLLM2.spec)  # the shapes' vocabulary: 49152 (module docstring)
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_dir))
    special = {k: getattr(tokenizer, f"{k}") for k in ("bos_token_id", "eos_token_id", "pad_token_id")}
    config = shape_config(shape, layers, len(tokenizer), **special)
    config.torch_dtype = dtype
    wanted = {
        "shape": shape,
        "layers": config.num_hidden_layers,
        "dtype": dtype,
        "seed": seed,
        "vocab_size": config.vocab_size,
    }
    record = directory / "shape.json"
    if record.is_file():
        built = json.loads(record.read_text())
        if {k: built.get(k) for k in wanted} == wanted:
            return ShapeReport(**{k: v for k, v in built.items() if k in ShapeReport.__dataclass_fields__})
        raise UserError(
            f"{directory} holds another shape ({built.get('shape')}, {built.get('layers')} layers, "
            f"{built.get('dtype')}): choose another directory"
        )
    if directory.exists() and any(directory.iterdir()):
        raise UserError(f"{directory} exists and is not a built shape: choose an empty or new directory")

    start = time.perf_counter()
    with torch.device("meta"):
        skeleton = LlamaForCausalLM(config)
    names = [(name, tuple(t.shape)) for name, t in skeleton.state_dict().items()]
    staging = directory.with_name(directory.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    shards: list[list[tuple[str, tuple[int, ...]]]] = [[]]
    size = 0
    itemsize = torch.empty((), dtype=torch_dtype).element_size()
    for name, dims in names:
        nbytes = itemsize * int(torch.Size(dims).numel())
        if shards[-1] and size + nbytes > SHARD_BYTES:
            shards.append([])
            size = 0
        shards[-1].append((name, dims))
        size += nbytes
    weight_map, total_bytes, parameters = {}, 0, 0
    with ThreadPoolExecutor(max_workers=2) as pool:  # torch's normal_ releases the GIL
        for number, shard in enumerate(shards, start=1):
            file = f"model-{number:05d}-of-{len(shards):05d}.safetensors"
            tensors = dict(
                zip([n for n, _ in shard], pool.map(lambda item: _generate(item[0], item[1], torch_dtype, seed), shard))
            )
            save_file(tensors, str(staging / file), metadata={"format": "pt"})
            for name, tensor in tensors.items():
                weight_map[name] = file
                total_bytes += tensor.numel() * tensor.element_size()
                parameters += tensor.numel()
            del tensors
    (staging / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {"total_size": total_bytes}, "weight_map": weight_map}, indent=1)
    )
    config.save_pretrained(staging)
    tokenizer.save_pretrained(staging)
    shape_vocab = SHAPES[shape]["vocab_size"]
    report = ShapeReport(
        shape,
        config.num_hidden_layers,
        SHAPES[shape]["num_hidden_layers"],
        dtype,
        seed,
        config.vocab_size,
        shape_vocab,
        parameters,
        2 * (config.vocab_size - shape_vocab) * config.hidden_size,
        total_bytes,
        time.perf_counter() - start,
    )
    (staging / "shape.json").write_text(json.dumps(report.as_dict(), indent=1) + "\n")
    if directory.exists():
        directory.rmdir()  # empty (checked above)
    staging.rename(directory)
    return report


def shape_parameters(shape: str, layers: int | None = None, vocab_size: int | None = None) -> int:
    """Parameter count of a shape (what build_shape writes), from the config alone."""
    config = shape_config(shape, layers, vocab_size)
    h, f, v, n = config.hidden_size, config.intermediate_size, config.vocab_size, config.num_hidden_layers
    kv = config.num_key_value_heads * (h // config.num_attention_heads)
    per_layer = h * h * 2 + 2 * h * kv + 3 * h * f + 2 * h
    return n * per_layer + 2 * v * h + h
