"""Shared test setup: everything runs offline."""

import os
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
sys.path.insert(0, str(Path(__file__).parent))

import pytest


@pytest.fixture(scope="session")
def embedded():
    """The embedded SmolLM2-135M (converted once into the user cache, then ~0.4 s per load)."""
    from neuronllm.models import load_model

    return load_model("embedded")
