"""Shared test setup: everything runs offline."""

import os
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
# The suite runs on the small embedded model: a bare `embedded` (CLI default, lm_eval's default) names it here.
SMALL_MODEL = "embedded:smollm2-135m-instruct"
os.environ["NEURONLLM_EMBEDDED"] = SMALL_MODEL
sys.path.insert(0, str(Path(__file__).parent))

TIERS = ("unit", "integration", "e2e", "robustness")


def pytest_collection_modifyitems(items):
    """Each test gets the marker of its tier folder: `pytest -m unit`, `-m "not e2e"`, ..."""
    for item in items:
        for tier in TIERS:
            if f"{os.sep}{tier}{os.sep}" in str(item.fspath):
                item.add_marker(getattr(pytest.mark, tier))


@pytest.fixture(scope="session", autouse=True)
def embedded_converted(request):
    """Convert the embedded model before any test runs a command: the one-time conversion prints a
    line that a test of one-line error messages would otherwise see on a fresh machine. A session of
    unit tests only (`make test-fast`) runs no command and loads no model, so it skips the conversion."""
    if all(item.get_closest_marker("unit") for item in request.session.items):
        return None
    from neuronllm.model.embedded import embedded_model_dir

    return embedded_model_dir(SMALL_MODEL)


@pytest.fixture(scope="session")
def embedded():
    """The embedded SmolLM2-135M (converted once into the user cache, then ~0.4 s per load)."""
    from neuronllm.model.loading import load_model

    return load_model(SMALL_MODEL)


@pytest.fixture(scope="session")
def tiny_local_model(tmp_path_factory, embedded):
    """A tiny random LLaMA saved as a local directory with the embedded tokenizer: a real `--model DIR`
    for end-to-end command tests that run in seconds."""
    from tiny_models import save_tiny_llama

    return save_tiny_llama(tmp_path_factory.mktemp("tiny-llama"), embedded.tokenizer)
