"""The Snakemake DAG: every config builds its DAG, bad configs fail validation, the regression runs."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def snakemake(*args, cwd=ROOT):
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    return subprocess.run(
        [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(ROOT), *args],
        capture_output=True, text=True, cwd=cwd, env=env, timeout=300,
    )


@pytest.mark.parametrize("configfile", [None, "config/paper.yaml", "config/ci.yaml"])
def test_dag_of_every_config(configfile, tmp_path):
    extra = ["--configfile", configfile] if configfile else []
    result = snakemake("-n", "--cores", "2", "all_tables", *extra, "--config", f"results_dir={tmp_path}")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    out = result.stdout + result.stderr
    for rule in ("attribute", "identify", "evaluate_original", "evaluate_main_good_bad", "evaluate_main_good",
                 "evaluate_ablation_cni", "metrics", "metrics_ablation", "table1", "table5", "table7", "ablation", "layer_figure"):
        assert rule in out, rule


def test_paper_config_replaces_the_default_instead_of_merging(tmp_path):
    result = snakemake("-n", "--cores", "2", "--configfile", "config/paper.yaml", "--config", f"results_dir={tmp_path}")
    out = result.stdout + result.stderr
    assert "llama2-7b" in out and "/embedded/" not in out


def test_invalid_config_is_rejected(tmp_path):
    result = snakemake("-n", "--cores", "2", "--config", "budget=-3", f"results_dir={tmp_path}")
    assert result.returncode != 0
    assert "budget" in result.stdout + result.stderr


def test_default_target_is_table1(tmp_path):
    result = snakemake("-n", "--cores", "2", "--config", f"results_dir={tmp_path}")
    out = result.stdout + result.stderr
    assert f"{tmp_path}/table1.md" in out and "table7" not in out
