"""The Snakemake DAG: every config builds its DAG, bad configs fail at validation with one clear message,
every substituted value is quoted, the SLURM profile dry-runs."""

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]


def snakemake(*args, cwd=ROOT):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(ROOT), *args],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=300,
    )


RULES = ("attribute", "identify", "null_sets", "evaluate_main", "evaluate_common", "evaluate_ablation", "evaluate_table7",
         "metrics", "metrics_ablation", "metrics_csv", "table1", "table5", "table7", "ablation", "layer_figure")


@pytest.mark.parametrize("configfile", [None, "config/paper.yaml", "config/ci.yaml", ".test/config/config.yaml"])
def test_dag_of_every_config(configfile, tmp_path):
    extra = ["--configfile", configfile] if configfile else []
    result = snakemake("-n", "--cores", "2", "all_tables", *extra, "--config", f"results_dir={tmp_path}")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    out = result.stdout + result.stderr
    for rule in RULES:
        assert f"rule {rule}:" in out or f"\n{rule} " in out, rule


def test_specificity_target_builds_its_dag(tmp_path):
    result = snakemake("-n", "--cores", "2", f"{tmp_path}/specificity.md", "--config", f"results_dir={tmp_path}")
    assert result.returncode == 0, result.stderr[-2000:]
    out = result.stdout + result.stderr
    for rule in ("evaluate_specificity_ner", "evaluate_specificity_neuronllm_text_ppl", "specificity_metrics",
                 "specificity_report"):
        assert rule in out, rule


def test_paper_config_replaces_the_default_instead_of_merging(tmp_path):
    result = snakemake("-n", "--cores", "2", "--configfile", "config/paper.yaml", "--config", f"results_dir={tmp_path}")
    out = result.stdout + result.stderr
    assert "llama2-7b" in out and "/embedded/" not in out


@pytest.mark.parametrize("override, message", [
    (["budget=-3"], "budget"),
    (["tasks=[ner,comonsense]"], "config: unknown task 'comonsense' (did you mean 'commonsense'?)"),
])
def test_invalid_config_is_rejected_before_any_job(tmp_path, override, message):
    result = snakemake("-n", "--cores", "2", "--config", *override, f"results_dir={tmp_path}")
    assert result.returncode != 0
    assert message in result.stdout + result.stderr


def write_config(tmp_path, **changes):
    config = yaml.safe_load((ROOT / "config" / "ci.yaml").read_text()) | changes
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def test_table7_task_must_be_configured(tmp_path):
    config = write_config(tmp_path, tasks=["commonsense"], table7={"task": "sentiment", "methods": ["cni"], "budgets": [10]})
    result = snakemake("-n", "--cores", "2", "--configfile", str(config), "--config", f"results_dir={tmp_path}")
    assert result.returncode != 0 and "table7.task 'sentiment' is not one of the configured tasks" in result.stdout + result.stderr


def test_data_files_mapping_must_cover_every_task_with_split_files(tmp_path):
    missing = write_config(tmp_path, data_files={"sentiment": {"train": "a.jsonl", "validation": "b.jsonl"}})
    result = snakemake("-n", "--cores", "2", "--configfile", str(missing), "--config", f"results_dir={tmp_path}")
    assert result.returncode != 0 and "data_files has no entry for task 'commonsense'" in result.stdout + result.stderr
    not_mapping = write_config(tmp_path, data_files={"sentiment": "shipped", "commonsense": "shipped"})
    result = snakemake("-n", "--cores", "2", "--configfile", str(not_mapping), "--config", f"results_dir={tmp_path}")
    assert result.returncode != 0 and "data_files" in result.stdout + result.stderr


def test_every_substituted_value_is_quoted(tmp_path):
    """A results_dir with a space and a semicolon stays one argument in every command (no stray file, no
    injected command): each printed shell command splits into the arguments the rule meant."""
    results = tmp_path / "res dir;touch INJECTED"
    result = snakemake("-n", "-p", "--cores", "2", "all_tables", "--configfile", "config/ci.yaml",
                       "--config", f"results_dir={results}")
    assert result.returncode == 0, result.stderr[-2000:]
    commands = [line.split("Shell command: ", 1)[1] for line in (result.stdout + result.stderr).splitlines()
                if "Shell command: " in line]
    assert len(commands) > 20
    for command in commands:
        tokens = shlex.split(command)
        assert "touch" not in tokens and ";" not in tokens, command
        for token in tokens:
            if "res dir" in token:  # one argument: the path itself, or TASK=path of the figure
                assert token.partition("=")[2 if not token.startswith("/") else 0].startswith(str(results)) or \
                    token.startswith(str(results)), token
    assert not (ROOT / "INJECTED").exists() and not (tmp_path / "INJECTED").exists()


def test_default_target_is_table1_and_the_csv(tmp_path):
    result = snakemake("-n", "--cores", "2", "--config", f"results_dir={tmp_path}")
    out = result.stdout + result.stderr
    assert f"{tmp_path}/table1.md" in out and f"{tmp_path}/metrics.csv" in out and "table7" not in out


def test_slurm_profile_dry_runs(tmp_path):
    result = snakemake("-n", "--profile", "profiles/slurm", "--configfile", "config/paper.yaml",
                       "--config", f"results_dir={tmp_path}")
    assert result.returncode == 0, result.stdout[-1500:] + result.stderr[-1500:]
    assert "evaluate_main" in result.stdout + result.stderr
