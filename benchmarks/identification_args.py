"""The options shared by the identification benchmarks (identify_speed.py, diffmean_cost.py): one place, so
both measure the same setting unless told otherwise."""

from __future__ import annotations

import argparse

from subject import add_model_argument

TASKS = ["ner", "chunking", "sentiment", "commonsense"]


def identification_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--steps", type=int, default=8, help="m (the default config uses 8; the paper 20)")
    parser.add_argument("--prompts", type=int, default=2, help="proxy prompts per task")
    parser.add_argument("--format", default="text", choices=["letter", "text"])
    parser.add_argument("--layer-batch", type=int, default=6)
    add_model_argument(parser)
    return parser
