"""What the README, docs/ and the package's docstrings point a reader at exists: every backticked
repository path (`neuronllm/tasks/data.py`, `tasks/aqua/`) and every `neuronllm.*` identifier
(`neuronllm.pipeline.config_check.check_config`), and every neuronllm/….py a docstring names. A renamed module
or function makes this fail instead of leaving a guide that sends a reader nowhere."""

from __future__ import annotations

import ast
import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TOP = (
    "neuronllm",
    "tasks",
    "data",
    "docs",
    "workflow",
    "config",
    "profiles",
    "benchmarks",
    "tests",
    ".ci",
    "Snakefile",
    "Makefile",
    "pyproject.toml",
    "README.md",
    "environment.yml",
    ".test",
    "LICENSE",
)
# what the pipeline writes (not in the repository until a run): named in the docs as outputs
OUTPUT_PREFIXES = ("results/",)
WHEEL_ONLY = ("neuronllm/_tasks", "neuronllm/_data", "neuronllm/_workflow")  # force-included by pyproject.toml
TO_BE_WRITTEN = ("neuronllm/methods/gradsign.py",)  # the method guide's worked example: the reader writes it
PLACEHOLDER = re.compile(r"(^|/)[A-Z]{2,}(\.|/|$)")  # data/general/NAME.jsonl
BACKTICKED = re.compile(r"`([^`\n]+)`")
PACKAGE_PATH = re.compile(r"(?<![\w/.])(neuronllm/[\w/]+\.py)\b")
IDENTIFIER = re.compile(r"^neuronllm(\.\w+)+$")


def sources() -> list[tuple[str, str]]:
    """(where, text): the README, every docs/*.md, every module's docstrings."""
    found = [("README.md", (ROOT / "README.md").read_text(encoding="utf-8"))]
    found += [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in sorted((ROOT / "docs").glob("*.md"))]
    for path in sorted((ROOT / "neuronllm").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        nodes = [
            tree,
            *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))),
        ]
        docstrings = [ast.get_docstring(n) or "" for n in nodes]
        found.append((str(path.relative_to(ROOT)), "\n".join(docstrings)))
    return found


def is_repository_path(token: str) -> bool:
    if any(c in token for c in " <>{}*…$|=,:()[]?") or token.startswith(("/", "~", ".", "http")):
        return token.startswith((".ci/", ".test/")) and not any(c in token for c in " <>{}*…$")
    first = token.split("/")[0]
    return "/" in token and first in TOP or token in TOP


def resolves(identifier: str) -> bool:
    parts = identifier.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attribute in parts[cut:]:
                obj = getattr(obj, attribute)
        except AttributeError:
            return False
        return True
    return False


def test_every_repository_path_named_in_the_docs_exists():
    missing = []
    for where, text in sources():
        tokens = {t.strip() for t in BACKTICKED.findall(text)} | set(PACKAGE_PATH.findall(text))
        for token in sorted(t for t in tokens if is_repository_path(t)):
            if token.startswith(WHEEL_ONLY) or token in TO_BE_WRITTEN or PLACEHOLDER.search(token):
                continue
            if not (ROOT / token).exists() and not token.startswith(OUTPUT_PREFIXES):
                missing.append(f"{where}: {token}")
    assert missing == []


def test_every_neuronllm_identifier_named_in_the_docs_exists():
    missing = []
    for where, text in sources():
        for token in sorted({t.strip().removesuffix("()") for t in BACKTICKED.findall(text)}):
            if IDENTIFIER.match(token) and not resolves(token):
                missing.append(f"{where}: {token}")
    assert missing == []
