"""benchmarks/subject.py: a benchmark run on another model writes files of its own name (the default
subject's figures are never overwritten by a run on the small model, nor the reverse)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
from subject import model_label, model_slug  # noqa: E402

from neuronllm.errors import UserError  # noqa: E402


def test_each_model_names_its_own_result_files() -> None:
    slugs = {model_slug(spec) for spec in ("embedded:smollm2-135m-instruct", "embedded:qwen2.5-coder-0.5b-instruct")}
    assert len(slugs) == 2
    assert model_slug("Org/Some Model") == "Org-Some-Model"  # file-safe, no folder separator


def test_bare_embedded_follows_the_default_entry(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEURONLLM_EMBEDDED", "smollm2-135m-instruct")
    assert model_slug("embedded") == "smollm2-135m-instruct"
    assert "SmolLM2" in model_label("embedded")
    assert model_label("Org/Model") == "Org/Model"


def test_an_unknown_embedded_name_is_refused() -> None:
    with pytest.raises(UserError, match="unknown embedded model"):
        model_slug("embedded:nope")
