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


# A symbol placed in a module: "`neuronllm/methods/ranking.py` `top_k(...)`" or "`stable_seed` (`neuronllm/...py`)".
PATH_THEN_SYMBOL = re.compile(r"`((?:neuronllm|benchmarks|data|tests|\.ci)/[\w/]+\.py)`\s+`([A-Za-z_][\w.]*)[^`]*`")
SYMBOL_THEN_PATH = re.compile(
    r"`([A-Za-z_][\w.]*)(?:\([^`]*\))?`\s+\(`((?:neuronllm|benchmarks|data|tests|\.ci)/[\w/]+\.py)`"
)
FILE_NAME = re.compile(r"^[\w-]+\.(py|smk|yaml|md|jinja)$")


def defined_names(path: Path) -> dict[str, set[str]]:
    """{top-level name: its members (a class's methods and attributes)} of a Python file."""
    names: dict[str, set[str]] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names[node.name] = set()
        elif isinstance(node, ast.ClassDef):
            members = {n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
            fields = (n.target for n in node.body if isinstance(n, ast.AnnAssign))
            members |= {target.id for target in fields if isinstance(target, ast.Name)}
            names[node.name] = members
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for leaf in ast.walk(target):
                    if isinstance(leaf, ast.Name):
                        names[leaf.id] = set()
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update({(alias.asname or alias.name).split(".")[0]: set() for alias in node.names})
    return names


def placed_symbols(text: str) -> list[tuple[str, str]]:
    """(path, symbol) pairs a text places together."""
    return [(p, s) for p, s in PATH_THEN_SYMBOL.findall(text)] + [(p, s) for s, p in SYMBOL_THEN_PATH.findall(text)]


def test_placed_symbols_of_text_are_found():
    """The patterns read both ways of placing a symbol (the test below cannot pass by reading nothing)."""
    text = "`neuronllm/methods/ranking.py` `top_k(scores, k)` and `stable_seed(seed, ...)` (`neuronllm/tasks/data.py`)"
    assert placed_symbols(text) == [
        ("neuronllm/methods/ranking.py", "top_k"),
        ("neuronllm/tasks/data.py", "stable_seed"),
    ]


def test_every_symbol_the_docs_place_in_a_module_is_defined_there():
    """A name the docs place in a file (a function, a class, `Class.member`, a constant) is defined in it:
    moving a function without its guide fails here."""
    wrong = []
    for where, text in sources():
        for path, symbol in placed_symbols(text):
            if path in TO_BE_WRITTEN or not (ROOT / path).exists():
                continue  # a missing path is the test above's
            head, *rest = symbol.split(".")
            names = defined_names(ROOT / path)
            members = set().union(*names.values())  # `plan.py` `table7_job`: a method of the file's class
            if (head not in names or (rest and rest[0] not in names[head])) and not (not rest and head in members):
                wrong.append(f"{where}: {symbol} is not defined in {path}")
    assert wrong == []


def test_every_file_name_the_docs_mention_exists_somewhere():
    """A bare file name (`engine.py`, `report.smk`) names a file of the repository."""
    present = {p.name for p in ROOT.rglob("*") if ".git" not in p.parts and ".venv" not in p.parts}
    present |= {Path(t).name for t in TO_BE_WRITTEN}
    missing = []
    for where, text in sources():
        for token in sorted({t.strip() for t in BACKTICKED.findall(text)}):
            if FILE_NAME.match(token) and token not in present and not PLACEHOLDER.search(token):
                missing.append(f"{where}: {token}")
    assert missing == []
