"""The Snakemake DAG: every config builds its DAG, bad configs fail at validation with one clear message,
every substituted value is quoted, the SLURM profile dry-runs."""

import shlex
from pathlib import Path

import pytest
import yaml
from snakemake_runs import job_stats, snakemake

ROOT = Path(__file__).resolve().parents[2]


def expected_jobs(config: dict) -> dict[str, int]:
    """The all_tables DAG, counted from the config by hand: per (model, seed) one attribution, one
    main/common/ablation evaluation per task, a set and a metrics file per task x method, Table 7's other
    budgets on its task; one null job per model; one job per report."""
    runs = len(config["models"]) * len(config.get("seeds", [0]))
    tasks, methods, budget = len(config["tasks"]), config["methods"], config["budget"]
    ablation = config["ablation_methods"]
    table7 = config["table7"]
    extra_budgets = [k for k in table7["budgets"] if k != budget]
    t7_sets = len(table7["methods"]) * len(extra_budgets)
    jobs = {
        "attribute": runs * tasks,
        "identify": runs * (tasks * len(set(methods) | set(ablation)) + t7_sets),
        "common": runs,
        "evaluate_main": runs * tasks,
        "evaluate_common": runs * tasks,
        "evaluate_ablation": runs * tasks,
        "evaluate_table7": runs if extra_budgets else 0,
        "metrics": runs * (tasks * (len(methods) + 1) + t7_sets),
        "metrics_ablation": runs * tasks * len(ablation),
        "null_sets": len(config["models"]) if config.get("null_sets") else 0,
        "matched_null_sets": runs * tasks * len(config.get("matched_null", [])) if config.get("null_sets") else 0,
        "table1": 1,
        "table5": 1,
        "ablation": 1,
        "table7": 1,
        "metrics_csv": 1,
        "layer_figure": 1,
        "all_tables": 1,
    }
    jobs = {rule: count for rule, count in jobs.items() if count}
    return jobs | {"total": sum(jobs.values())}


@pytest.mark.parametrize("configfile", [None, "config/paper.yaml", "config/ci.yaml", ".test/config/config.yaml"])
def test_dag_of_every_config(configfile, tmp_path):
    extra = ["--configfile", configfile] if configfile else []
    result = snakemake("-n", "--cores", "2", "all_tables", *extra, "--config", f"results_dir={tmp_path}")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    config = yaml.safe_load((ROOT / (configfile or "config/config.yaml")).read_text())
    assert job_stats(result.stdout + result.stderr) == expected_jobs(config)


def test_specificity_target_builds_its_dag(tmp_path):
    result = snakemake("-n", "--cores", "2", f"{tmp_path}/specificity.md", "--config", f"results_dir={tmp_path}")
    assert result.returncode == 0, result.stderr[-2000:]
    stats = job_stats(result.stdout + result.stderr)
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())
    tasks, general = config["tasks"], config["specificity"]["general_tasks"]
    sources = len(tasks) + 1  # each task's NeuronLLM sets, and the common set
    assert stats["evaluate_specificity"] == len(tasks + general)  # one rule, the task a wildcard
    assert not [rule for rule in stats if rule.startswith("evaluate_specificity_")]
    assert stats["specificity_metrics"] == sources * len(tasks + general)
    assert stats["specificity_report"] == 1


def test_transfer_target_builds_its_dag_beside_the_main_one(tmp_path):
    """results/transfer.md: three evaluation jobs per task (native, the other format, the sweep's points in
    the config's format) and one report (the main command's DAG has none: test_default_target_...)."""
    result = snakemake("-n", "--cores", "2", f"{tmp_path}/transfer.md", "--config", f"results_dir={tmp_path}")
    assert result.returncode == 0, result.stderr[-2000:]
    stats = job_stats(result.stdout + result.stderr)
    tasks = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["tasks"]
    for fmt in ("native", "letter", "text"):
        assert stats[f"evaluate_transfer_{fmt}"] == len(tasks), fmt
    assert stats["transfer_report"] == 1 and stats["evaluate_main"] == len(tasks)


def test_paper_config_replaces_the_default_instead_of_merging(tmp_path):
    result = snakemake("-n", "--cores", "2", "--configfile", "config/paper.yaml", "--config", f"results_dir={tmp_path}")
    out = result.stdout + result.stderr
    assert "llama2-7b" in out and "/embedded/" not in out


@pytest.mark.parametrize(
    "override, message",
    [
        (["budget=-3"], "budget"),
        (["tasks=[ner,comonsense]"], "config: unknown task 'comonsense' (did you mean 'commonsense'?)"),
    ],
)
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
    config = write_config(
        tmp_path, tasks=["commonsense"], table7={"task": "sentiment", "methods": ["cni"], "budgets": [10]}
    )
    result = snakemake("-n", "--cores", "2", "--configfile", str(config), "--config", f"results_dir={tmp_path}")
    assert (
        result.returncode != 0
        and "table7.task 'sentiment' is not one of the configured tasks" in result.stdout + result.stderr
    )


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
    result = snakemake(
        "-n", "-p", "--cores", "2", "all_tables", "--configfile", "config/ci.yaml", "--config", f"results_dir={results}"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    commands = [
        line.split("Shell command: ", 1)[1]
        for line in (result.stdout + result.stderr).splitlines()
        if "Shell command: " in line
    ]
    assert len(commands) > 20
    for command in commands:
        tokens = shlex.split(command)
        assert "touch" not in tokens and ";" not in tokens, command
        for token in tokens:
            if "res dir" in token:  # one argument: the path itself, or TASK=path of the figure
                assert token.partition("=")[2 if not token.startswith("/") else 0].startswith(
                    str(results)
                ) or token.startswith(str(results)), token
    assert not (ROOT / "INJECTED").exists() and not (tmp_path / "INJECTED").exists()


def test_default_target_is_table1_and_the_csv(tmp_path):
    result = snakemake("-n", "--cores", "2", "--config", f"results_dir={tmp_path}")
    out = result.stdout + result.stderr
    assert f"{tmp_path}/table1.md" in out and f"{tmp_path}/metrics.csv" in out and "table7" not in out
    assert "transfer" not in out


def test_slurm_profile_dry_runs(tmp_path):
    result = snakemake(
        "-n", "--profile", "profiles/slurm", "--configfile", "config/paper.yaml", "--config", f"results_dir={tmp_path}"
    )
    assert result.returncode == 0, result.stdout[-1500:] + result.stderr[-1500:]
    assert "evaluate_main" in result.stdout + result.stderr
