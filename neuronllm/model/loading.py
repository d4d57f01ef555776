"""Load a model by spec and find its FFN neurons.

A *neuron* is one coordinate of the input of a decoder layer's FFN output projection
(LLaMA/Mistral/Qwen/Baichuan `mlp.down_proj`, GPT-2 `mlp.c_proj`, GPT-NeoX `mlp.dense_4h_to_h`):
    h_out = W_down · n,   n = act(W_gate x) * (W_up x)      n: [batch, pos, d_ff]
Every intervention and attribution in this package acts on `n` through the hook point
`blocks.{layer}.mlp.hook_post` (hooks.py), a forward pre-hook on the projection found here, so this
file is the one place that says where a neuron lives.

Models load through lm-eval's HFLM, so every argument HFLM takes (revision, trust_remote_code, dtype,
parallelize, peft, subfolder, ...) works the same for identification and evaluation; the result is a
`LoadedModel`, built once and passed down: the model, its tokenizer, its decoder layers and FFN
projections, its neuron counts and the identity that keys every cache (fingerprint.py).
"""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from neuronllm.errors import UserError
from neuronllm.model.embedded import EMBEDDED, converted_if_present, embedded_entry, embedded_model_dir, is_embedded
from neuronllm.quiet import quiet_lm_eval

if TYPE_CHECKING:
    import torch
    from torch import nn
    from transformers import PreTrainedTokenizerBase

# Attribute paths tried, in order, to find the list of decoder layers and, inside a layer, the
# FFN output projection. Names only: no model_type comparisons, no hard-coded sizes.
_LAYER_LIST_PATHS = ("model.layers", "transformer.h", "gpt_neox.layers", "model.decoder.layers", "transformer.layers")
_FFN_OUTPUT_PATHS = ("mlp.down_proj", "mlp.c_proj", "mlp.dense_4h_to_h", "mlp.fc2", "fc2", "mlp.w2", "feed_forward.w2")

# HFLM's own loading arguments, plus the from_pretrained keywords it forwards that users pass most.
# Anything else is refused: HFLM would forward a typo to from_pretrained, which stores it in the model
# config without a word (`neuron=x.json` would evaluate the unmodified model).
FROM_PRETRAINED_ARGUMENTS = (
    "attn_implementation",
    "device_map",
    "low_cpu_mem_usage",
    "load_in_8bit",
    "load_in_4bit",
    "bnb_4bit_quant_type",
    "bnb_4bit_compute_dtype",
    "bnb_4bit_use_double_quant",
    "max_memory",
    "use_safetensors",
    "variant",
    "cache_dir",
    "local_files_only",
    "token",
    "offload_state_dict",
)
_NOT_LOADING = ("self", "pretrained", "kwargs")
POST_FFN_NORMS = ("post_feedforward_layernorm", "post_ffw_norm", "post_mlp_layernorm")


def hflm_arguments() -> tuple[str, ...]:
    """Every keyword HFLM accepts (its signature, read at run time) plus FROM_PRETRAINED_ARGUMENTS."""
    from lm_eval.models.huggingface import HFLM

    own = [name for name in inspect.signature(HFLM.__init__).parameters if name not in _NOT_LOADING]
    return tuple(own) + FROM_PRETRAINED_ARGUMENTS


# HFLM arguments that do not load anything: allowed beside an already-loaded model.
RUNTIME_ARGUMENTS = (
    "batch_size",
    "max_batch_size",
    "max_length",
    "truncation",
    "logits_cache",
    "softmax_dtype",
    "mixed_precision_dtype",
    "add_bos_token",
    "prefix_token_id",
    "think_end_token",
    "enable_thinking",
    "chat_template_args",
    "backend",
    "device",
)
# The `neuronllm` lm-eval model's own arguments (neuronllm/evaluation/lm_eval_model.py reads them): here, beside
# HFLM's, so that task data can tell a model argument from a misspelt --metadata key without importing the model.
OWN_ARGUMENTS = (
    "neurons",
    "op",
    "part",
    "scope",
    "factor",
    "letter_merge",
    "prefix_cache",
    "spec",
    "tokenizer",
    "dtype",
    "kv_memory_mb",
    "batch_tokens",
)


def valid_model_arguments() -> tuple[str, ...]:
    """Every `--model_args` key the neuronllm model accepts: its own and HFLM's."""
    return tuple(OWN_ARGUMENTS) + tuple(hflm_arguments())


def check_arguments(given: dict[str, Any], valid: tuple[str, ...] | list[str], what: str) -> None:
    """One-line error for an unknown keyword, with a did-you-mean and the valid ones."""
    for key in given:
        if key not in valid:
            close = difflib.get_close_matches(key, list(valid), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UserError(f"unknown {what} {key!r}{hint}; valid: {', '.join(sorted(set(valid)))}")


def resolve_model_path(spec: str) -> str:
    """`embedded[:NAME]` -> the converted directory; a local directory -> itself (checked); else a hub id."""
    if is_embedded(spec):
        return str(embedded_model_dir(spec))
    path = Path(spec).expanduser()
    if not path.exists() and "/" not in spec and difflib.get_close_matches(spec, [EMBEDDED], n=1, cutoff=0.75):
        raise UserError(f"unknown model {spec!r} (did you mean {EMBEDDED!r}?)")
    looks_local = path.exists() or spec.startswith(("/", ".", "~")) or spec.count("/") > 1
    if looks_local:
        if not path.exists():
            raise UserError(f"cannot load model {spec!r}: no such directory")
        if not path.is_dir():
            raise UserError(f"cannot load model {spec!r}: not a directory")
        if not (path / "config.json").is_file():
            raise UserError(f"cannot load model {spec!r}: the directory has no config.json")
        return str(path)
    return spec


def default_device() -> str:
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def default_dtype(device: str) -> torch.dtype:
    """fp32 on CPU, bf16 on GPUs. On CPUs with AVX-512 BF16 bf16 is 2.5-3x faster, but inexact (log-likelihoods
    move by up to ~5e-2): fp32 stays the CPU default, and dtype=bfloat16 is the choice for 7B shapes there."""
    import torch

    return torch.float32 if device == "cpu" else torch.bfloat16


def _get_path(obj: object, dotted: str) -> Any:
    for name in dotted.split("."):
        obj = getattr(obj, name, None)
        if obj is None:
            return None
    return obj


def _ffn_projection(layer: nn.Module) -> nn.Module | None:
    return next((m for p in _FFN_OUTPUT_PATHS if (m := _get_path(layer, p)) is not None), None)


def decoder_layers(model: nn.Module) -> list[nn.Module]:
    """The decoder blocks, bottom to top: a known attribute path, else (wrapped models such as a peft
    PeftModel) the first ModuleList whose every element holds an FFN output projection."""
    from torch import nn

    for dotted in _LAYER_LIST_PATHS:
        layers = _get_path(model, dotted)
        if isinstance(layers, nn.ModuleList) and len(layers) > 0:
            return list(layers)
    for _, module in model.named_modules():
        if isinstance(module, nn.ModuleList) and len(module) > 0 and all(_ffn_projection(m) for m in module):
            return list(module)
    raise UserError(f"unsupported architecture {type(model).__name__}: no list of decoder layers found")


def ffn_output_projections(model: nn.Module) -> list[nn.Module]:
    """For each decoder layer, the module whose *input* coordinates are the FFN neurons."""
    projections = []
    for index, layer in enumerate(decoder_layers(model)):
        found = _ffn_projection(layer)
        if found is None:
            raise UserError(
                f"unsupported architecture {type(model).__name__}: layer {index} has no FFN output projection "
                f"(looked for {', '.join(_FFN_OUTPUT_PATHS)})"
            )
        projections.append(found)
    return projections


def projection_width(module: nn.Module) -> int:
    """Number of input coordinates (neurons): nn.Linear.in_features, or GPT-2's Conv1D weight rows."""
    if hasattr(module, "in_features"):
        return int(module.in_features)  # type: ignore[arg-type]  # nn.Module's __getattr__ types a Hugging Face model's methods and attributes as Tensor | Module
    weight = getattr(module, "weight", None)
    if weight is not None and weight.dim() == 2 and type(module).__name__ == "Conv1D":
        return int(weight.shape[0])  # Conv1D stores weight as [in, out]
    raise UserError(f"cannot read the neuron count of {type(module).__name__}")


def neuron_counts(model: nn.Module) -> list[int]:
    """Neurons per layer, read from the modules themselves (LLaMA's 11008 is not 4·hidden)."""
    return [projection_width(m) for m in ffn_output_projections(model)]


@dataclass(eq=False)
class LoadedModel:
    """A model with everything the package derives from it, computed once.

    Unpacks like the old (model, tokenizer) pair: `model, tokenizer = load_model(...)`.
    `checkpoint`: the directory whose files are the weights (None for a model that exists only in
    memory: its identity then hashes the state dict).
    """

    spec: str
    model: nn.Module
    tokenizer: PreTrainedTokenizerBase | None = None
    checkpoint: Path | None = None
    load_arguments: dict[str, Any] = field(default_factory=dict)
    revision: str | None = None

    def __post_init__(self) -> None:
        self.layers = decoder_layers(self.model)
        self.projections = ffn_output_projections(self.model)
        self.neuron_counts = [projection_width(m) for m in self.projections]
        if any(hasattr(layer, name) for layer in self.layers for name in POST_FFN_NORMS):
            from neuronllm.errors import warn

            warn(
                f"{type(self.model).__name__} normalises the FFN output (e.g. post_feedforward_layernorm): scaling a "
                "layer's neurons together is partly undone by that norm, so integrated gradients lose completeness "
                "(docs/method.md §7); interventions still act as hooked"
            )

    def __iter__(self) -> Iterator[Any]:
        yield self.model
        yield self.tokenizer

    @classmethod
    def wrap(cls, model: nn.Module | LoadedModel, tokenizer: Any = None, spec: str | None = None) -> LoadedModel:
        """A LoadedModel for a module built in memory (tests, notebooks); a LoadedModel passes through."""
        if isinstance(model, LoadedModel):
            return model
        return cls(spec or type(model).__name__, model, tokenizer)

    @property
    def device(self) -> torch.device:
        return self.model.get_input_embeddings().weight.device  # type: ignore[operator]  # nn.Module's __getattr__ types a Hugging Face model's methods and attributes as Tensor | Module

    @property
    def dtype(self) -> torch.dtype:
        return next(self.model.parameters()).dtype

    @cached_property
    def weights(self) -> str:
        from neuronllm.model.fingerprint import directory_fingerprint, state_dict_fingerprint

        if self.checkpoint is not None:
            return directory_fingerprint(self.checkpoint)
        return state_dict_fingerprint(self.model)

    @property
    def identity(self) -> dict[str, Any]:
        """Everything that determines this model's numbers (fingerprint.py)."""
        from neuronllm.model.fingerprint import load_arguments_identity

        return {
            "spec": self.spec,
            "weights": self.weights,
            "revision": self.revision,
            "dtype": str(self.dtype).removeprefix("torch."),
            "device": self.device.type,
            "load_arguments": load_arguments_identity(self.load_arguments),
        }

    @property
    def fingerprint(self) -> str:
        from neuronllm.model.fingerprint import digest

        return digest(self.identity)


def _dtype_name(dtype: torch.dtype | str | None, device: str) -> torch.dtype | str:
    import torch

    if dtype in (None, ""):
        return default_dtype("cpu" if device == "cpu" else "cuda")
    if isinstance(dtype, str) and dtype != "auto":
        if not isinstance(getattr(torch, dtype, None), torch.dtype):
            raise UserError(f"unknown dtype {dtype!r}: expected float32, bfloat16, float16 or auto")
        return getattr(torch, dtype)
    return dtype


def hflm_loading_kwargs(
    spec: str, dtype: torch.dtype | str | None = None, device: str | None = None, **arguments: Any
) -> dict[str, Any]:
    """The HFLM keywords that load `spec`: resolved path, our dtype/device defaults, the user's arguments."""
    import torch

    check_arguments(arguments, hflm_arguments(), "model argument")
    device = device or default_device()
    if device.startswith("cuda") and not torch.cuda.is_available():
        device = "cpu"  # lm-eval's CLI defaults to cuda; fall back to what exists
    kwargs = dict(arguments)
    if device == "auto":  # spread over every GPU with accelerate's device_map
        kwargs["parallelize"], device = True, "cuda"
    kwargs.update(pretrained=resolve_model_path(spec), device=device, dtype=_dtype_name(dtype, device))
    return kwargs


def checkpoint_of(path: str, arguments: dict[str, Any]) -> tuple[Path | None, str | None]:
    """(directory of the files, hub commit) for a resolved model path."""
    from neuronllm.model.fingerprint import local_checkpoint, snapshot_revision

    directory = local_checkpoint(path, arguments.get("revision"), arguments.get("subfolder") or "")
    return directory, snapshot_revision(directory) if directory else None


def config_neuron_counts(spec: str, convert: bool = True, **arguments: Any) -> list[int] | None:
    """Neurons per layer from the model's config alone (no weights), where the config names its FFN
    width (intermediate_size; GPT-2's n_inner, None meaning 4·n_embd). None when unknown.
    convert=False: the embedded model counts only if it was converted already (no 20-s conversion)."""
    if is_embedded(spec) and not convert:
        converted = converted_if_present(spec)
        if converted is None:
            return None
        spec = str(converted)
    try:
        from transformers import AutoConfig

        config = AutoConfig.from_pretrained(
            resolve_model_path(spec),
            **{k: v for k, v in arguments.items() if k in ("revision", "trust_remote_code", "subfolder")},
        )
    except Exception:  # noqa: BLE001 - unknown until loaded; load_model reports a bad spec itself
        return None
    layers = getattr(config, "num_hidden_layers", None) or getattr(config, "n_layer", None)
    width = getattr(config, "intermediate_size", None) or getattr(config, "n_inner", None)
    if width is None and getattr(config, "model_type", "") == "gpt2":
        width = 4 * config.n_embd
    return [int(width)] * int(layers) if layers and width else None


def checkpoint_weights(spec: str, **arguments: Any) -> str | None:
    """The weights fingerprint of a spec's files without loading the model (None where the files are
    not on this machine, e.g. a hub model not downloaded yet)."""
    from neuronllm.model.fingerprint import directory_fingerprint

    try:
        directory, _ = checkpoint_of(resolve_model_path(spec), arguments)
    except UserError:
        return None
    return directory_fingerprint(directory) if directory else None


def loaded_from_hflm(spec: str, hflm: Any, arguments: dict[str, Any]) -> LoadedModel:
    """Wrap what an HFLM (or a NeuronLLM) loaded from a string spec."""
    directory, revision = checkpoint_of(str(hflm.pretrained), arguments)
    loaded = LoadedModel(spec, hflm.model, hflm.tokenizer, directory, dict(arguments), revision)
    loaded.model.eval()
    return loaded


def load_model(
    spec: str, dtype: torch.dtype | str | None = None, device: str | None = None, **arguments: Any
) -> LoadedModel:
    """Load `embedded`, a hub id or a local directory through HFLM, in eval mode.

    `device="auto"` spreads the model over all GPUs (HFLM's parallelize); `arguments` are HFLM's
    (revision, trust_remote_code, peft, subfolder, attn_implementation, ...), checked by name.
    """
    from lm_eval.models.huggingface import HFLM

    kwargs = hflm_loading_kwargs(spec, dtype, device, **arguments)
    try:
        with quiet_lm_eval():
            hflm = HFLM(**kwargs)
    except (OSError, ValueError) as err:
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UserError(f"cannot load model {spec!r}: {first_line}") from err
    return loaded_from_hflm(spec, hflm, arguments)


def provenance_name(spec: str) -> str:
    """The model's name in provenance records: the spec as typed, or the embedded GGUF's name. It names
    the model for a reader; what the numbers depend on (weights, dtype, ...) is LoadedModel.identity
    (model/fingerprint.py)."""
    if is_embedded(spec):
        return embedded_entry(spec).provenance_name
    return spec
