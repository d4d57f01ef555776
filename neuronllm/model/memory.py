"""Peak memory of identification and of an evaluation job, predicted from the model config and settings.

Why: the paper's first challenge is running out of memory, and a 7B/13B job that dies after an hour
of loading and prefix work wastes a GPU allocation. Every term below is a tensor the code holds at its
peak, counted from the config (decoder-only transformers with a gated or plain FFN):

Identification (ig/cached.py), the peak is the first chunk's packed pass, whose graph spans every layer:
  prefix_kv         keys/values of the prompt prefix, every layer                 2·L·kv·hd·b per token
  pass_activations  tensors autograd saves per layer and pass token (weights are frozen, so linear
                    layers save nothing):  the FFN's gate, SiLU output and up (3·f·b), the attention
                    query and output (2·h·b), each RMSNorm's float32 input (2·4·h); per layer the
                    keys/values of past + pass tokens (attention's concatenated cache, 2·(P+N)·kv·hd·b)
  attention_mask    the packed pass's 4D mask [N, P+N], in the model dtype
  logits            the pass's logits, their float32 copy and log-softmax, and the backward's float32
                    gradient of them (N·V·(b + 3·4))
  transient         one layer's forward intermediates beyond what is saved, and the backward's
                    gradient of the widest activation (both ≈ a layer's saved tensors again)
  head_copy         one tensor the size of the LM head (vocab·hidden·b): measured at every shape, a
                    copy made for the backward through the head
N = min(layer_batch·(m+1), ⌊PASS_TOKENS / trie⌋) · trie tokens per pass, P = prompt − 1.

Evaluation (neuronllm/scoring/engine.py), the peak is an option pass or a prefix-tree level:
  prefix_tree       keys/values of a chunk's distinct prefix tokens (≤ kv_memory_mb)
  batch_past        the batch's laid-out past, ≤ batch_tokens positions per layer, plus the cache's
                    view of it during the forward
  forward           one layer's intermediates over the batch's new tokens, and the logits
Checked against measured peaks in benchmarks/results/scale_*.md (135M, 7B shape, 13B truncated) and
tests/unit/test_memory.py. The predictions exclude the weights; `Prediction.total_mib` adds them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from neuronllm.errors import UserError

if TYPE_CHECKING:
    from transformers import PretrainedConfig

    from neuronllm.model.loading import LoadedModel

# CUDA peaks (max_memory_allocated) count tensors only; `neuronllm plan` adds the CUDA context.
CUDA_CONTEXT_MIB = 600.0
_BYTES = {"float32": 4, "float": 4, "bfloat16": 2, "float16": 2, "half": 2}
MIB = 2**20


def dtype_bytes(dtype: Any) -> int:
    name = str(dtype).removeprefix("torch.")
    if name not in _BYTES:
        raise UserError(f"unknown dtype {name!r}: expected float32, bfloat16 or float16")
    return _BYTES[name]


def parse_size(text: str) -> float:
    """'24GB', '80 GiB', '512MB', '2.5T' -> MiB (powers of 1024: device memory is reported that way).
    The unit is required (a bare '512' or '512B' is not silently read as MiB), and the size positive."""
    match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*([kmgt])(?:i?b)?\s*", str(text).lower())
    if not match:
        raise UserError(
            f"cannot read the memory size {text!r}: expected a size with its unit, e.g. 24GB, 80GiB or 512MB"
        )
    value, unit = float(match.group(1)), match.group(2)
    if value <= 0:
        raise UserError(f"the memory size {text!r} must be positive")
    return value * {"k": 1 / 1024, "m": 1, "g": 1024, "t": 1024**2}[unit]


def config_from_dict(values: dict[str, Any]) -> PretrainedConfig:
    from transformers import AutoConfig

    values = dict(values)
    return AutoConfig.for_model(values.pop("model_type", "llama"), **values)


@dataclass(frozen=True)
class Dims:
    hidden: int
    d_ff: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    vocab: int

    @classmethod
    def of(cls, config: PretrainedConfig) -> Dims:
        def get(*names: str) -> Any:
            """The first of these config attributes that is set (GPT-2 and LLaMA name them differently)."""
            return next((getattr(config, n) for n in names if getattr(config, n, None) is not None), None)

        hidden = get("hidden_size", "n_embd")
        heads = get("num_attention_heads", "n_head")
        layers = get("num_hidden_layers", "n_layer")
        d_ff = get("intermediate_size", "n_inner") or 4 * hidden
        head_dim = get("head_dim") or hidden // heads
        kv_heads = get("num_key_value_heads") or heads
        return cls(
            int(hidden), int(d_ff), int(layers), int(heads), int(kv_heads), int(head_dim), int(config.vocab_size)
        )


def kv_bytes_per_token(config: PretrainedConfig, dtype: Any) -> int:
    """Keys + values of one token, every layer: what a prefix tree or a prefix cache holds per token."""
    d = Dims.of(config)
    return 2 * d.layers * d.kv_heads * d.head_dim * dtype_bytes(dtype)


def weight_bytes(config: PretrainedConfig, dtype: Any) -> int:
    """Parameters × dtype size, counted by building the model on the meta device (any architecture)."""
    import torch
    from transformers import AutoModelForCausalLM

    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(config)
    return sum(p.numel() for p in model.parameters()) * dtype_bytes(dtype)


@dataclass
class Prediction:
    parts: dict[str, float]  # MiB each, weights excluded
    notes: dict[str, Any] = field(default_factory=dict)

    @property
    def above_weights_mib(self) -> float:
        return sum(self.parts.values())

    def total_mib(self, weights_mib: float) -> float:
        return weights_mib + self.above_weights_mib


def pass_tokens_of(trie_tokens: int, steps: int, layer_batch: int, pass_tokens: int = 512) -> int:
    """Tokens of the widest packed IG pass (ig/cached.py's groups_per_pass)."""
    groups = max(1, pass_tokens // max(1, trie_tokens))
    return min(layer_batch * (steps + 1), groups) * trie_tokens


def identification_peak(
    config: PretrainedConfig,
    prompt_tokens: int,
    trie_tokens: int,
    steps: int,
    layer_batch: int,
    pass_tokens: int = 512,
    dtype: Any = "bfloat16",
    device: str = "cpu",
) -> Prediction:
    """Peak above the weights of one proxy's cached IG over every layer (module docstring)."""
    d, b = Dims.of(config), dtype_bytes(dtype)
    n = pass_tokens_of(trie_tokens, steps, layer_batch, pass_tokens)
    past = prompt_tokens - 1
    kv = d.kv_heads * d.head_dim
    saved = n * (b * (3 * d.d_ff + 2 * d.hidden) + 2 * 4 * d.hidden) + 2 * (past + n) * kv * b
    layer_transient = n * (b * 2 * d.d_ff + 4 * 2 * d.hidden) + n * (past + n) * d.heads * 4
    parts = {
        "prefix_kv": kv_bytes_per_token(config, dtype) * past / MIB,
        "pass_activations": d.layers * saved / MIB,
        "attention_mask": n * (past + n) * b / MIB,
        "logits": n * d.vocab * (b + 3 * 4) / MIB,  # logits, their float32 copy and log-softmax, its gradient
        "transient": 2 * layer_transient / MIB,
        # measured, not derived: every IG peak on the CPU held one more tensor the size of the LM head
        # (vocab x hidden; tiny, small, 135M, 7B and 13B shapes: benchmarks/results/scale_*.md), a copy
        # made for the backward through the head; evaluation (no autograd) shows none
        "head_copy": d.vocab * d.hidden * b / MIB,
    }
    return Prediction(parts, {"pass_tokens": n})


def evaluation_peak(
    config: PretrainedConfig,
    tree_tokens: int,
    longest_context: int,
    batch_tokens: int,
    kv_memory_mb: float = 1e12,
    dtype: Any = "bfloat16",
    widest_new: int = 32,
    device: str = "cpu",
) -> Prediction:
    """Peak above the weights of a `neuronllm` evaluation job (module docstring). tree_tokens: distinct
    prefix tokens of the questions; longest_context: the longest prompt; widest_new: option-trie tokens."""
    d, b = Dims.of(config), dtype_bytes(dtype)
    per_token = kv_bytes_per_token(config, dtype)
    tree = min(tree_tokens, max(longest_context, kv_memory_mb * MIB / per_token))
    past_positions = min(batch_tokens, tree + widest_new)  # a batch lays out at most batch_tokens positions
    new_tokens = max(min(longest_context, batch_tokens), widest_new)  # a tree level's segments, or option tries
    parts = {
        "prefix_tree": tree * per_token / MIB,
        "batch_past": 2 * past_positions * per_token / MIB,
        "forward": new_tokens * (b * (3 * d.d_ff + 4 * d.hidden)) / MIB,
        "logits": widest_new * max(1, batch_tokens // max(1, longest_context)) * d.vocab * (b + 4) / MIB,
    }  # no runtime term: without autograd the measured steps grew by their tensors alone
    return Prediction(parts)


def largest_kv_memory_mb(
    config: PretrainedConfig,
    device_mib: float,
    weights_mib: float,
    dtype: Any,
    batch_tokens: int,
    longest_context: int,
    headroom: float = 0.1,
    device: str = "cuda",
) -> float:
    """The largest kv_memory_mb whose evaluation peak leaves `headroom` of the device free (0: none fits):
    everything but the prefix tree at a full batch, subtracted from what the device offers."""
    base = evaluation_peak(config, batch_tokens, longest_context, batch_tokens, dtype=dtype, device=device)
    rest = base.above_weights_mib - base.parts["prefix_tree"] + (CUDA_CONTEXT_MIB if device.startswith("cuda") else 0)
    return max(0.0, device_mib * (1 - headroom) - weights_mib - rest)


# -- `neuronllm plan`: fits / does not fit ----------------------------------------------------------------


@dataclass
class JobPlan:
    """One model's two jobs against a device: predicted totals (MiB) and whether each fits."""

    model: str
    weights_mib: float
    identification: Prediction
    evaluation: Prediction
    device_mib: float
    suggested_kv_memory_mb: float
    source: str  # where the config came from

    @property
    def identification_mib(self) -> float:
        return self.identification.total_mib(self.weights_mib)

    @property
    def evaluation_mib(self) -> float:
        return self.evaluation.total_mib(self.weights_mib)

    @property
    def fits(self) -> bool:
        return max(self.identification_mib, self.evaluation_mib) <= self.device_mib


def model_config(spec: str, arguments: dict[str, Any] | None = None) -> tuple[PretrainedConfig, str]:
    """(config, source): the model's own config (local directory, embedded, or a hub config already in
    the cache), else the built-in shape of the same name (neuronllm/model/shapes.py), else a UserError."""
    from neuronllm.model.shapes import SHAPES, shape_config

    arguments = arguments or {}
    try:
        from transformers import AutoConfig

        from neuronllm.model.loading import resolve_model_path

        kept = {k: v for k, v in arguments.items() if k in ("revision", "trust_remote_code", "subfolder")}
        return AutoConfig.from_pretrained(resolve_model_path(spec), **kept), "config"
    except UserError:
        raise
    except Exception as err:  # noqa: BLE001 - offline hub id: fall back to a named shape
        name = spec.rsplit("/", 1)[-1].lower().replace("-hf", "").replace("-base", "").replace("llama-2", "llama2")
        if name in SHAPES:
            return shape_config(name), f"shape {name} (its config is not on this machine)"
        raise UserError(
            f"cannot read the config of {spec!r}: "
            f"{str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__}"
            f"; name a local directory or one of the shapes {', '.join(SHAPES)}"
        ) from None


def plan_job(
    spec: str,
    device_mib: float,
    dtype: Any,
    prompt_tokens: int,
    trie_tokens: int,
    steps: int,
    layer_batch: int,
    kv_memory_mb: float,
    batch_tokens: int,
    questions: int,
    arguments: dict[str, Any] | None = None,
    device: str = "cuda",
) -> JobPlan:
    config, source = model_config(spec, arguments)
    weights = weight_bytes(config, dtype) / MIB
    identification = identification_peak(
        config, prompt_tokens, trie_tokens, steps, layer_batch, dtype=dtype, device=device
    )
    tree_tokens = questions * prompt_tokens  # an upper bound: prompts share their role and rule
    evaluation = evaluation_peak(
        config, tree_tokens, prompt_tokens, batch_tokens, kv_memory_mb, dtype, trie_tokens, device
    )
    if device.startswith("cuda"):
        identification.parts["cuda_context"] = evaluation.parts["cuda_context"] = CUDA_CONTEXT_MIB
    suggested = largest_kv_memory_mb(config, device_mib, weights, dtype, batch_tokens, prompt_tokens, device=device)
    return JobPlan(spec, weights, identification, evaluation, device_mib, suggested, source)


def device_memory_mib(device: str) -> float:
    """What the device offers: a GPU's total memory, else the machine's available RAM."""
    import torch

    if device.startswith("cuda") and torch.cuda.is_available():
        return torch.cuda.get_device_properties(0).total_memory / MIB
    import psutil

    return psutil.virtual_memory().available / MIB


def describe(plan: JobPlan) -> str:
    def gib(mib: float) -> str:
        return f"{mib / 1024:.1f} GiB"

    verdict = "fits" if plan.fits else "does NOT fit"
    id_parts = ", ".join(f"{k} {gib(v)}" for k, v in plan.identification.parts.items())
    ev_parts = ", ".join(f"{k} {gib(v)}" for k, v in plan.evaluation.parts.items())
    return (
        f"{plan.model} ({plan.source}): weights {gib(plan.weights_mib)}\n"
        f"  identification peak {gib(plan.identification_mib)} ({id_parts})\n"
        f"  evaluation peak     {gib(plan.evaluation_mib)} ({ev_parts})\n"
        f"  device {gib(plan.device_mib)}: {verdict}; kv_memory_mb up to {plan.suggested_kv_memory_mb:.0f} leaves "
        "10% free"
    )


def default_kv_memory_mb(loaded: LoadedModel, batch_tokens: int, longest_context: int = 512) -> float:
    """kv_memory_mb when the user names none: on CUDA, half of what the GPU has free after the weights
    and everything else an evaluation batch holds (at least 256, at most 65536); on the CPU 1024, the
    measured-good default (its RAM is shared with the rest of the machine)."""
    import torch

    device = loaded.device
    if device.type != "cuda" or not torch.cuda.is_available():
        return 1024.0
    free, _ = torch.cuda.mem_get_info(device)
    base = evaluation_peak(
        loaded.model.config,  # type: ignore[arg-type]  # nn.Module's __getattr__ types a Hugging Face model's attributes as Tensor | Module
        batch_tokens,
        longest_context,
        batch_tokens,
        dtype=loaded.dtype,
        device="cuda",
    )
    rest = base.above_weights_mib - base.parts["prefix_tree"]
    return float(min(65536.0, max(256.0, (free / MIB - rest) / 2)))
