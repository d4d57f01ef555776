"""The subject a benchmark measures: one `--model` option for every benchmark script, and the short name
its result files carry, so a run on another model never overwrites the default subject's figures."""

from __future__ import annotations

import argparse
import re

from neuronllm.model.embedded import embedded_entry, is_embedded


def add_model_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--model", default="embedded", help="embedded (the default subject), embedded:NAME, a hub id or a folder"
    )


def model_label(spec: str) -> str:
    """What the report names: the registry's label for an embedded model, else the spec as typed."""
    return embedded_entry(spec).label if is_embedded(spec) else spec


def model_slug(spec: str) -> str:
    """The result files' model part: the registry name of an embedded model, else the spec made file-safe."""
    name = embedded_entry(spec).name if is_embedded(spec) else spec
    return re.sub(r"[^A-Za-z0-9.]+", "-", name).strip("-")
