"""The two extension guides, followed to the letter on a copy of the package: a task added by the YAML
files docs/adding-a-task.md shows, a method added by the module and the record docs/adding-a-method.md
shows, and nothing else edited. Each then appears in the CLI, the config check, the plan, the workflow's
dry run, the SLURM profile's GPU routing (task) and the report. When a guide's code stops working, or the
project starts needing one more edit, these tests fail."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def code_block(guide: str, after: str, language: str) -> str:
    """The first ```language block of a guide after the line that contains `after`."""
    text = (DOCS / guide).read_text(encoding="utf-8")
    start = text.index(after)
    match = re.compile(rf"```{language}\n(.*?)```", re.S).search(text, start)
    assert match, f"{guide}: no {language} block after {after!r}"
    return match.group(1)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A copy of the package and its task files (what a guide edits); the rest linked from the checkout."""
    copy = tmp_path / "repo"
    copy.mkdir()
    shutil.copytree(ROOT / "neuronllm", copy / "neuronllm", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "tasks", copy / "tasks")
    shutil.copy2(ROOT / "Snakefile", copy / "Snakefile")
    for name in ("data", "workflow", "profiles", "config"):
        (copy / name).symlink_to(ROOT / name)
    return copy


def run(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    """A command in `repo` whose `import neuronllm` is the copy (PYTHONPATH comes before the editable install)."""
    env = dict(os.environ, PYTHONPATH=str(repo), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    done = subprocess.run(args, cwd=repo, env=env, capture_output=True, text=True, timeout=300)
    if check:
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    return done


def python(repo: Path, code: str) -> str:
    return run(repo, sys.executable, "-c", code).stdout


def config(repo: Path, tasks: list[str], methods: list[str]) -> Path:
    """config/ci.yaml with these tasks and methods, the hub as data source (no file is read by a dry run)."""
    values = yaml.safe_load((ROOT / "config" / "ci.yaml").read_text())
    values |= {"tasks": tasks, "methods": methods, "data_files": "hub", "matched_null": []}
    values["table7"] = {"task": tasks[0], "methods": methods, "budgets": [10, values["budget"]]}
    values["ablation_methods"] = [m for m in values.get("ablation_methods", []) if m in methods]
    path = repo / "guide_config.yaml"
    path.write_text(yaml.safe_dump(values))
    return path


def dry_run(repo: Path, configfile: Path, target: str) -> str:
    done = run(
        repo,
        sys.executable,
        "-m",
        "snakemake",
        "-n",
        "--cores",
        "1",
        "--configfile",
        str(configfile),
        "--directory",
        str(repo),
        "--snakefile",
        str(repo / "Snakefile"),
        target,
    )
    return done.stdout + done.stderr


def test_a_task_added_by_its_yaml_files_appears_everywhere(repo):
    task_yaml = code_block("adding-a-task.md", "## 1. The task file", "yaml")
    text_yaml = code_block("adding-a-task.md", "## 2. The `_text` twin", "yaml")
    spec = yaml.safe_load(task_yaml)["dataset_kwargs"]["spec"]
    name, label = spec["name"], spec["label"]
    (repo / "tasks" / "aqua" / f"aqua_{name}.yaml").write_text(task_yaml)
    (repo / "tasks" / "aqua" / f"aqua_{name}_text.yaml").write_text(text_yaml)

    # the CLI knows it (a typo of it gets a did-you-mean, before any model loads)
    typo = run(
        repo,
        sys.executable,
        "-m",
        "neuronllm.cli",
        "identify",
        "--task",
        name + "x",
        "--method",
        "cni",
        "--out",
        str(repo / "x.json"),
        check=False,
    )
    assert typo.returncode == 2 and f"did you mean {name!r}" in typo.stderr, typo.stderr
    # the config check, the plan, the report's header and the SLURM profile's routing
    configfile = config(repo, [name, "sentiment"], ["cni"])
    found = json.loads(
        python(
            repo,
            f"""
import json, yaml
from neuronllm.pipeline.config_check import check_config
from neuronllm.pipeline.plan import Plan, gpu_rules
from neuronllm.report.table_kinds import column_headers
from neuronllm.tasks.lm_eval_tasks import find_task
config = yaml.safe_load(open({str(configfile)!r}))
check_config(config)
plan = Plan(config)
print(json.dumps({{"tasks": plan.tasks, "labels": column_headers(), "gpu": gpu_rules(),
                  "text_task": find_task({name!r}, "text").lm_eval_name,
                  "specificity": plan.specificity_task_inputs({name!r}) == plan.task_inputs({name!r})}}))
""",
        )
    )
    assert name in found["tasks"] and found["labels"][name] == label
    assert not [rule for rule in found["gpu"] if name in rule]  # no rule is named by a task: nothing to route
    assert found["text_task"] == f"aqua_{name}_text" and found["specificity"]
    # the workflow's dry run plans its jobs
    output = dry_run(repo, configfile, "all_tables")
    assert f"/{name}/cni/" in output, output[-3000:]


def test_a_method_added_by_its_module_and_record_appears_everywhere(repo):
    module = code_block("adding-a-method.md", "**1. The selection**", "python")
    record = code_block("adding-a-method.md", "**2. The record**", "python")
    name = re.search(r'Method\("(\w+)", "([^"]+)"', record)
    assert name, record
    name, label = name.groups()
    (repo / "neuronllm" / "methods" / f"{name}.py").write_text(module)
    registry = repo / "neuronllm" / "methods" / "__init__.py"
    text = registry.read_text()
    end = text.index("    )\n}\nMETHOD_NAMES")  # the end of the records' list
    registry.write_text(text[:end] + "".join(f"        {line}\n" for line in record.strip().splitlines()) + text[end:])

    # the CLI offers it
    help_text = run(repo, sys.executable, "-m", "neuronllm.cli", "identify", "--help").stdout
    assert name in help_text
    # the config check, the plan and the report
    configfile = config(repo, ["sentiment", "commonsense"], ["cni", name])
    found = json.loads(
        python(
            repo,
            f"""
import json, yaml
from neuronllm.methods import METHOD_NAMES
from neuronllm.pipeline.config_check import check_config
from neuronllm.pipeline.plan import Plan
from neuronllm.report.table_kinds import KINDS
config = yaml.safe_load(open({str(configfile)!r}))
check_config(config)
plan = Plan(config)
print(json.dumps({{"methods": list(METHOD_NAMES), "sets": plan.main_job().sets,
                  "table1": list(KINDS["table1"].methods),
                  "rows": [r.labels[0] for r in KINDS["table1"].rows(list(KINDS["table1"].methods))]}}))
""",
        )
    )
    assert name in found["methods"] and name in found["table1"] and label in found["rows"]
    assert any(f"/{name}/" in s for s in found["sets"]), found["sets"]
    # the workflow's dry run identifies with it and evaluates its sets
    output = dry_run(repo, configfile, "all_tables")
    assert f"/{name}/k" in output, output[-3000:]
    # the guide's hand-checked unit test passes against its `select`, with tests/unit/test_methods.py's helper
    unit_test = code_block("adding-a-method.md", "**3. A unit test", "python")
    test_name = re.search(r"^def (test_\w+)\(", unit_test, re.M)
    assert test_name, unit_test
    methods_tests = (ROOT / "tests" / "unit" / "test_methods.py").read_text()
    helper = re.search(r"^def attributions\(.*?(?=^\S)", methods_tests, re.M | re.S)
    assert helper, "tests/unit/test_methods.py lost the `attributions` helper the guide names"
    imports = "\n".join(line for line in methods_tests.splitlines() if line.startswith(("import ", "from ")))
    script = f"{imports}\n{helper.group(0)}\n{unit_test}\n{test_name.group(1)}()\nprint('ran')\n"
    assert python(repo, script).strip() == "ran"
