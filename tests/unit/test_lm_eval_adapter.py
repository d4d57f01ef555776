"""lm-eval's internals stay behind one door (neuronllm/lm_eval_adapter.py): no other module of the package
imports a private lm-eval name, overrides a private method of an lm-eval class, reads a private lm-eval
attribute or assigns to an lm-eval object; the adapter states the supported versions and says, in one
line, when another is installed."""

import ast
import importlib.util
from pathlib import Path

import pytest

from neuronllm import lm_eval_adapter

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "neuronllm"
ADAPTER = PACKAGE / "lm_eval_adapter.py"


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def lm_eval_private_names() -> tuple[set[str], set[str]]:
    """(every private name lm-eval's library code defines, the private methods of its classes), read from
    its source without importing it; the task folders' helper scripts are not library code."""
    spec = importlib.util.find_spec("lm_eval")
    assert spec is not None and spec.submodule_search_locations
    root = Path(next(iter(spec.submodule_search_locations)))
    names: set[str] = set()
    methods: set[str] = set()
    for path in root.rglob("*.py"):
        relative = path.relative_to(root).parts
        if relative[0] == "tasks" and len(relative) > 2:
            continue
        names |= {part.removesuffix(".py") for part in relative if private(part.removesuffix(".py"))}
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and private(node.name):
                names.add(node.name)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and private(node.attr):
                names.add(node.attr)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and private(node.id):
                names.add(node.id)
            if isinstance(node, ast.ClassDef):
                methods |= {f.name for f in node.body if isinstance(f, ast.FunctionDef) and private(f.name)}
    return names, methods


LM_EVAL_PRIVATE, LM_EVAL_PRIVATE_METHODS = lm_eval_private_names()


def own_attributes(paths) -> set[str]:
    """Private attributes the package defines itself (its classes' methods, `self._x = ...`): reading those
    is no lm-eval internal. lm-eval's private method names are never exempt."""
    own = set()
    for path in paths:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                own |= {f.name for f in node.body if isinstance(f, ast.FunctionDef) and private(f.name)}
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store) and private(node.attr):
                own.add(node.attr)
    return own - LM_EVAL_PRIVATE_METHODS


def root_name(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def violations(source: str, own: set[str]) -> list[str]:
    """Each use of lm-eval's internals in one module's source, as 'line: what'."""
    tree = ast.parse(source)
    found = []
    lm_eval_bound: set[str] = set()  # names bound to lm-eval objects: its imports and what is assigned from them
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "lm_eval":
            if any(private(part) for part in node.module.split(".")):
                found.append(f"{node.lineno}: imports from {node.module}")
            for alias in node.names:
                if private(alias.name):
                    found.append(f"{node.lineno}: imports {alias.name} from {node.module}")
                lm_eval_bound.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "lm_eval":
                    if any(private(part) for part in alias.name.split(".")):
                        found.append(f"{node.lineno}: imports {alias.name}")
                    lm_eval_bound.add((alias.asname or alias.name).split(".")[0])
    for _ in range(3):  # aliases of aliases (`cls = manager.TaskManager`)
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign) and root_name(node.value) in lm_eval_bound:
                lm_eval_bound |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef) and any(root_name(base) in lm_eval_bound for base in node.bases):
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name in LM_EVAL_PRIVATE_METHODS:
                    found.append(f"{item.lineno}: overrides lm-eval's private {node.name}.{item.name}")
        elif isinstance(node, ast.Attribute) and node.attr in LM_EVAL_PRIVATE and node.attr not in own:
            found.append(f"{node.lineno}: reads lm-eval's private .{node.attr}")
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, (ast.Attribute, ast.Subscript)) and root_name(target) in lm_eval_bound:
                    found.append(f"{node.lineno}: patches lm-eval ({ast.unparse(target)})")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "setattr":
            if node.args and root_name(node.args[0]) in lm_eval_bound:
                found.append(f"{node.lineno}: patches lm-eval (setattr)")
    return found


def test_no_module_but_the_adapter_touches_lm_evals_internals():
    modules = [p for p in sorted(PACKAGE.rglob("*.py")) if p != ADAPTER]
    own = own_attributes(modules)
    found = {str(p.relative_to(ROOT)): v for p in modules if (v := violations(p.read_text(encoding="utf-8"), own))}
    assert found == {}


@pytest.mark.parametrize(
    "source",
    [
        "from lm_eval.tasks._yaml_loader import load_yaml",
        "import lm_eval._cli",
        "from lm_eval.api.model import _multimodal_cache_default",
        "from lm_eval.models.huggingface import HFLM\nclass M(HFLM):\n    def _loglikelihood_tokens(self): ...",
        "from lm_eval.models import huggingface\nclass M(huggingface.HFLM):\n    def _model_generate(self): ...",
        "def f(lm):\n    return lm._encode_pair('a', 'b')",
        "from lm_eval.tasks import manager\ncls = manager.TaskManager\ncls.__init__ = None",
        "from lm_eval import __main__ as main\nmain.cli_evaluate = print",
        "from lm_eval.tasks import manager\nsetattr(manager.TaskManager, 'load', None)",
    ],
)
def test_the_scan_sees_each_kind_of_use(source):
    """The scan is able to fail: each use the adapter took over from the old modules is seen."""
    assert violations(source, set()) != []


def test_public_uses_pass_the_scan():
    source = (
        "from lm_eval.models.huggingface import HFLM\nfrom lm_eval.tasks import TaskManager\n"
        "class M(HFLM):\n    def loglikelihood(self, requests): return super().loglikelihood(requests)\n"
        "def f(): return TaskManager(include_path='x').load(['t'])\n"
    )
    assert violations(source, set()) == []


def test_the_supported_version_is_the_pinned_one():
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert all(f'"lm-eval=={v}"' in pyproject for v in lm_eval_adapter.SUPPORTED_LM_EVAL)
    assert lm_eval_adapter.version_problem(lm_eval_adapter.installed_lm_eval_version()) is None


def test_another_version_is_said_in_one_line(monkeypatch, capsys):
    assert lm_eval_adapter.version_problem("0.4.13") is None
    monkeypatch.setattr(lm_eval_adapter, "installed_lm_eval_version", lambda: "0.5.0")
    lm_eval_adapter.check_lm_eval_version()
    lm_eval_adapter.check_lm_eval_version()
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        "neuronllm: warning: lm-eval 0.5.0 is installed; neuronllm supports lm-eval 0.4.13 "
        "(its lm-eval internals: neuronllm/lm_eval_adapter.py): scores may fail or differ"
    ]
