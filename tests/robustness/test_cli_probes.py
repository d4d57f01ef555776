"""Every probe of probes.py: one line on stderr naming the problem, exit status 2, before any model is
loaded, no output written, no input changed (items 5-9 of the robustness issue)."""

import hashlib

import pytest
from probes import MALFORMED, PROBES, fill


def checksums():
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(MALFORMED.iterdir())}


@pytest.fixture(autouse=True)
def no_model_loads(monkeypatch):
    """Any model load fails the probe: every check must come first."""

    def refuse(*args, **kwargs):
        raise AssertionError("a model was loaded before the bad input was refused")

    # import the modules first: one first imported while models.load_model is patched would bind the
    # refusing stand-in at import, and monkeypatch would then "restore" it for every later test
    import neuronllm.evaluation.evaluate  # noqa: F401 - imported before the patch, so it binds the real load_model
    import neuronllm.methods.identify  # noqa: F401 - the same, for identification

    for target in (
        "neuronllm.model.loading.load_model",
        "neuronllm.evaluation.evaluate.load_model",
        "neuronllm.methods.identify.load_model",
    ):
        monkeypatch.setattr(target, refuse)


@pytest.mark.parametrize("probe", PROBES, ids=[f"{p.item}-{p.what}" for p in PROBES])
def test_probe(probe, tmp_path, capfd):
    from neuronllm.cli import main

    attributions = tmp_path / "a.pt"
    attributions.write_bytes(b"not an attribution file")
    out = tmp_path / "out" / "result.json"
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    args = [fill(a, out, scratch, attributions) for a in probe.args]
    before = checksums()
    try:
        rc = main(args)
    except SystemExit as exit_:  # argparse
        rc = exit_.code
    stderr = capfd.readouterr().err.strip().splitlines()
    assert rc == probe.rc, stderr
    assert len(stderr) == 1, stderr
    assert probe.expect in stderr[0], stderr[0]
    assert "Traceback" not in stderr[0]
    assert not out.exists() and not (tmp_path / "out").exists()  # nothing written, not even the directory
    assert checksums() == before and attributions.read_bytes() == b"not an attribution file"
