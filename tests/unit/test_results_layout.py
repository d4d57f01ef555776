"""The results layout has one definition (neuronllm.pipeline.plan.LAYOUT): the plan's path methods format it,
results/README.md lists it, and every results path the docs and docstrings show is one of its patterns."""

import ast
import re
from pathlib import Path

from neuronllm.pipeline.plan import LAYOUT, Plan

ROOT = Path(__file__).resolve().parents[2]
RESULTS_PATH = re.compile(r"results/\{model\}[^\s`),;:]*")


def readme_block() -> list[str]:
    text = (ROOT / "results" / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```\n(.*?)```", text, re.S)
    assert block, "results/README.md lost its layout block"
    return [line.split()[0] for line in block.group(1).splitlines() if line.strip()]


def pattern_regex(pattern: str) -> re.Pattern:
    """A LAYOUT pattern as a regex in which a {placeholder} matches one path segment ({set_key}: several)."""
    regex = re.escape(pattern).replace(r"\{set_key\}", "[^/]+(?:/[^/]+)*")
    return re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", regex) + "$")


def test_the_readme_lists_every_layout_path_and_no_other_per_model_path():
    listed = [line for line in readme_block() if line.startswith("results/{model}")]
    assert listed == [f"results/{pattern}" for pattern, _ in LAYOUT.values()]


def test_the_plan_writes_every_path_by_its_layout_pattern():
    plan = Plan({"models": {"m": {"spec": "x"}}, "tasks": ["ner"], "methods": ["cni"], "budget": 5})
    written = {
        "attributions": plan.attributions("m", 0, "ner"),
        "neurons": plan.neurons("cni", 5, "m", 0, "ner"),
        "common": plan.neurons("common", 5, "m", 0),
        "null": plan.null(1, model="m"),
        "matched_null": plan.matched_null("cni", 1, "m", 0, "ner"),
        "original": plan.evaluation("original", model="m", seed=0, task="ner"),
        "evaluation": plan.evaluation("cni/k5", "degrade", "both", "m", 0, "ner"),
        "metrics": plan.metrics("cni", 5, "metrics_ablation", "m", 0, "ner"),
        "specificity_original": plan.specificity_evaluation("ner", "original", model="m", seed=0),
        "specificity_evaluation": plan.specificity_evaluation("ner", "common", "degrade", "m", 0),
        "specificity_metrics": plan.specificity_metrics("ner", "common", "m", 0),
    }
    assert set(written) == set(LAYOUT)
    for name, path in written.items():
        assert pattern_regex("results/" + LAYOUT[name][0]).match(path), (name, path)
        assert "{" not in path, (name, path)


def texts() -> list[tuple[str, str]]:
    """(where, text): the docs, the READMEs and every module's docstrings."""
    found = [(str(p.relative_to(ROOT)), p.read_text(encoding="utf-8")) for p in sorted((ROOT / "docs").glob("*.md"))]
    found += [(name, (ROOT / name).read_text(encoding="utf-8")) for name in ("README.md", "results/README.md")]
    for path in sorted((ROOT / "neuronllm").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        nodes = [tree, *(n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef)))]
        found.append((str(path.relative_to(ROOT)), "\n".join(ast.get_docstring(n) or "" for n in nodes)))
    return found


def test_every_results_path_the_docs_show_follows_the_layout():
    """A path shown as results/{model}/… is a LAYOUT pattern or a folder of one (a placeholder may be
    written otherwise, {K} for {budget}, or filled in):
    report/inputs.py once showed metrics without the seed level."""
    folders = {"/".join(f"results/{p}".split("/")[:n]) for p, _ in LAYOUT.values() for n in range(2, 12)}
    regexes = [pattern_regex(folder) for folder in folders]
    wrong = []
    for where, text in texts():
        for shown in RESULTS_PATH.findall(text):
            shown = shown.rstrip("/.…")
            if not any(regex.match(shown) for regex in regexes):
                wrong.append(f"{where}: {shown}")
    assert wrong == []
