"""The package's folders follow the data path, and the import graph says so: every import (lazy ones
inside functions too) points down the layers, no two modules import each other, and no module outgrows
a read from top to bottom."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "neuronllm"
# Lowest first: a module may import its own layer and the ones before it, never one after it.
LAYERS = (
    "core",
    "model",
    "tasks",
    "scoring",
    "attribution",
    "methods",
    "analysis",
    "evaluation",
    "pipeline",
    "report",
    "cli",
)
# the top-level modules
CORE = (
    "__init__",
    "_lm_eval_plugin",
    "lm_eval_adapter",
    "package_data",
    "errors",
    "quiet",
    "atomic",
    "digests",
    "neurons",
)
MAX_LINES = 400


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> str:
    parts = module.split(".")
    return "core" if len(parts) == 1 or parts[1] in CORE else parts[1]


def resolve(name: str) -> str | None:
    """The module an import of `name` loads (`neuronllm.x.y` may name a function y of module x)."""
    while name.count("."):
        base = ROOT / name.replace(".", "/")
        if base.with_suffix(".py").is_file() or (base / "__init__.py").is_file():
            return name
        name = name.rpartition(".")[0]
    return name if name == "neuronllm" else None


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("neuronllm"):
            found |= {resolve(f"{node.module}.{alias.name}") for alias in node.names}
        elif isinstance(node, ast.Import):
            found |= {resolve(alias.name) for alias in node.names if alias.name.startswith("neuronllm")}
    return {m for m in found if m and m != "neuronllm"}


GRAPH = {module_name(p): imports(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_the_top_level_holds_only_the_core_and_the_layer_folders():
    top = sorted(p.stem for p in PACKAGE.glob("*.py"))
    folders = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert top == sorted(CORE)
    assert folders == sorted(LAYERS[1:])


def test_every_import_points_down_the_layers():
    upward = [
        f"{m} ({layer(m)}) imports {o} ({layer(o)})"
        for m, others in GRAPH.items()
        for o in others
        if LAYERS.index(layer(o)) > LAYERS.index(layer(m))
    ]
    assert upward == []


def test_no_import_cycle():
    """Depth-first search over the module graph, lazy imports included (a package imports its __init__)."""
    cycles, state = [], {}

    def visit(module, stack):
        state[module] = "open"
        for other in sorted(GRAPH.get(module, ())):
            if state.get(other) == "open":
                cycles.append(stack[stack.index(other) :] + [other])
            elif other not in state:
                visit(other, [*stack, other])
        state[module] = "done"

    for module in GRAPH:
        if module not in state:
            visit(module, [module])
    # a package __init__ importing its own submodule is how a package presents itself, not a cycle of modules
    real = [c for c in cycles if not any(a.startswith(b + ".") or b.startswith(a + ".") for a, b in zip(c, c[1:]))]
    assert real == []


def test_no_module_outgrows_a_read():
    long = {
        str(p.relative_to(ROOT)): n for p in PACKAGE.rglob("*.py") if (n := len(p.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}
