"""profiles/slurm as Snakemake reads it, without a cluster (the real run is test_slurm_cluster.py, slow):
its values are profile variables (environment), it sets nothing the executor plugin refuses, and every
rule that declares a GPU, in every shipped config, is one the profile sends to the GPU partition."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from snakemake.profiles import ProfileConfigFileParser
from snakemake_executor_plugin_slurm.validation import get_forbidden_slurm_options

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "profiles" / "slurm" / "config.yaml"


def profile(monkeypatch, **variables: str) -> dict:
    for name in [n for n in os.environ if n.startswith("NEURONLLM_SLURM_")]:
        monkeypatch.delenv(name)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    with PROFILE.open() as stream:
        return ProfileConfigFileParser().parse(stream)


def set_resources(parsed: dict) -> dict[str, dict[str, str]]:
    rules: dict[str, dict[str, str]] = {}
    for entry in parsed.get("set-resources", []):
        rule, _, assignment = entry.partition(":")
        name, _, value = assignment.partition("=")
        rules.setdefault(rule, {})[name] = value
    return rules


def gpu_rules_of(configfile: str) -> set[str]:
    """Rules whose jobs declare gpu > 0 in a dry run of every job of a config."""
    dry = subprocess.run([sys.executable, "-m", "snakemake", "all_tables", "results/specificity.md", "-n", "--forceall",
                          "--cores", "1", "--configfile", configfile],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)  # fmt: skip
    assert dry.returncode == 0, dry.stderr[-2000:]
    rules, rule = set(), None
    for line in (dry.stdout + dry.stderr).splitlines():
        head = re.match(r"(?:local)?rule (\w+):", line)
        rule = head.group(1) if head else rule
        if line.strip().startswith("resources:") and re.search(r"\bgpu=[1-9]", line):
            rules.add(rule)
    return rules


def test_defaults_and_variables(monkeypatch):
    default = profile(monkeypatch)
    assert "slurm_partition=cpu" in default["default-resources"]
    assert not any(r.startswith("slurm_account") for r in default["default-resources"])
    assert "slurm-status-command" not in default  # the plugin's own choice (sacct where installed)
    assert all(v == {"slurm_partition": "gpu", "gpu": "1"} for v in set_resources(default).values())

    local = profile(monkeypatch, NEURONLLM_SLURM_CPU_PARTITION="short", NEURONLLM_SLURM_GPU_PARTITION="a100",
                    NEURONLLM_SLURM_GPUS="0", NEURONLLM_SLURM_ACCOUNT="lab1", NEURONLLM_SLURM_STATUS="squeue",
                    NEURONLLM_SLURM_RETRIES="0")  # fmt: skip
    assert {"slurm_partition=short", "slurm_account=lab1"} <= set(local["default-resources"])
    assert all(v == {"slurm_partition": "a100", "gpu": "0"} for v in set_resources(local).values())
    assert local["slurm-status-command"] == "squeue" and local["retries"] == "0"


def test_nothing_the_executor_manages_is_in_slurm_extra(monkeypatch):
    """The plugin refuses (WorkflowError at submission) --gres, --gpus, --mem, ... in slurm_extra."""
    parsed = profile(monkeypatch)
    extras = [e for e in parsed["default-resources"] + parsed.get("set-resources", []) if "slurm_extra=" in e]
    for extra in extras:
        for pattern, option in get_forbidden_slurm_options().items():
            assert not re.search(pattern, extra.split("slurm_extra=", 1)[1]), f"{extra}: {option}"


@pytest.mark.parametrize("configfile", ["config/ci.yaml", "config/paper.yaml"])  # config.yaml: the same tasks
def test_every_gpu_rule_goes_to_the_gpu_partition(monkeypatch, configfile):
    routed = set(set_resources(profile(monkeypatch)))
    gpu_rules = gpu_rules_of(configfile)
    assert gpu_rules, "no rule declares a GPU"
    assert gpu_rules <= routed, f"GPU rules the profile leaves on the CPU partition: {sorted(gpu_rules - routed)}"
