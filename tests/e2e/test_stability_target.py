"""`snakemake results/stability.md` (issue 28): its DAG resolves beside the main command's, reuses the main
job's evaluations, stays out of the default target, and its config keys are checked before any job."""

import shlex
from pathlib import Path

import pandas as pd
import pytest
import yaml
from snakemake_runs import job_stats, snakemake

ROOT = Path(__file__).resolve().parents[2]


def write_config(tmp_path, **changes):
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text()) | changes | {"results_dir": str(tmp_path)}
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


WIDE = {"methods": ["cni", "tn", "diffmean", "random"], "samples": 5, "instances": None, "sizes": [2, 5, 10, 20],
        "reference": 30, "compare_samples": 2, "compare_steps": 20, "evaluate": True, "parts": "table1"}  # fmt: skip


def dry_run(tmp_path, **stability):
    result = snakemake(
        "-n", "-p", "--cores", "2", f"{tmp_path}/stability.md", "--configfile",
        str(write_config(tmp_path, stability=stability)),
    )  # fmt: skip
    out = result.stdout + result.stderr
    assert result.returncode == 0, out[-2000:]
    commands = [line.split("Shell command: ", 1)[1] for line in out.splitlines() if "Shell command: " in line]
    return job_stats(out), [shlex.split(c) for c in commands]


def test_stability_target_builds_its_dag_and_reuses_the_main_evaluations(tmp_path):
    """Three attribution pools per task (the samples; other IG steps; the other format), one selection job, one
    evaluation job per task, one report; the original and the null band come from the main job."""
    stats, commands = dry_run(tmp_path, **WIDE)
    tasks = yaml.safe_load((ROOT / "config" / "config.yaml").read_text())["tasks"]
    assert stats["stability_attribute"] == 3 * len(tasks)
    assert stats["stability_sets"] == 1 and stats["stability_report"] == 1
    assert stats["evaluate_stability"] == len(tasks) and stats["evaluate_main"] == len(tasks)
    (sets,) = [c for c in commands if c[0] == "neuronllm" and c[1] == "stability"]
    for flag in ("--pools", "--steps-pools", "--format-pools"):
        start = sets.index(flag) + 1
        assert [token.split("=")[0] for token in sets[start : start + len(tasks)]] == tasks
    assert sets[sets.index("--sizes") + 1 : sets.index("--reference")] == ["2", "5", "10", "20"]
    pools = [c for c in commands if c[:3] == ["OMP_NUM_THREADS=1", "neuronllm", "attribute"]]
    pools = [p for p in pools if "/stability/" in p[p.index("--out") + 1]]
    instances = sorted({(p[p.index("--answer-format") + 1], p[p.index("--steps") + 1], p[p.index("--instances") + 1])
                        for p in pools})  # fmt: skip
    assert instances == [("letter", "8", "20"), ("text", "20", "20"), ("text", "8", "50")]


def conditions_per_task(commands) -> int:
    jobs = [c for c in commands if "evaluate" in c and any("/stability/" in t for t in c)]
    return len(jobs[0][jobs[0].index("--conditions") + 1 : jobs[0].index("--outs")])


def test_parts_good_evaluates_the_equal_budget_side_only(tmp_path):
    """`parts: good` evaluates each set's good side at K (Deg and Enh): half of `parts: table1`'s conditions for a
    method with a bad side (its Table 1 part, both, and the good side), the same for a good-only one (ACT)."""
    settings = WIDE | {"methods": ["cni", "act"], "sizes": [2], "reference": 3, "compare_samples": 0}
    _, table1 = dry_run(tmp_path, **settings)
    _, good = dry_run(tmp_path, **(settings | {"parts": "good"}))
    labels = 5 + 1 + 1  # the samples, the size, the reference
    assert conditions_per_task(table1) == labels * 2 * (2 + 1)
    assert conditions_per_task(good) == labels * 2 * (1 + 1)
    assert all(":degrade-good" in c or ":enhance-good" in c for c in good[0] if "/stability/" in c and ":" in c)


def test_the_main_command_has_no_stability_job(tmp_path):
    result = snakemake("-n", "--cores", "2", "--config", f"results_dir={tmp_path}")
    assert result.returncode == 0 and not [r for r in job_stats(result.stdout + result.stderr) if "stability" in r]


def test_without_comparisons_or_evaluation_only_the_pools_and_the_sets_run(tmp_path):
    config = write_config(tmp_path, stability={"compare_samples": 0, "evaluate": False, "methods": ["tn", "random"]})
    result = snakemake("-n", "--cores", "2", f"{tmp_path}/stability.md", "--configfile", str(config))
    assert result.returncode == 0, (result.stdout + result.stderr)[-2000:]
    stats = job_stats(result.stdout + result.stderr)
    assert stats["stability_attribute"] == 4 and "evaluate_stability" not in stats and "evaluate_main" not in stats


def test_stability_tasks_restricts_the_study_and_diffmeans_contrast(tmp_path):
    """`stability.tasks`: pools, sets and evaluations for those tasks only; DiffMean's contrast is the study's
    other tasks (the sets job gets only their pools); the main job's evaluations of those tasks are reused."""
    stats, commands = dry_run(tmp_path, **(WIDE | {"tasks": ["sentiment", "commonsense"], "compare_samples": 0}))
    assert stats["stability_attribute"] == 2 and stats["evaluate_stability"] == 2
    (sets,) = [c for c in commands if c[0] == "neuronllm" and c[1] == "stability"]
    start = sets.index("--pools") + 1
    assert [t.split("=")[0] for t in sets[start : start + 3]] == ["sentiment", "commonsense", "--methods"]


@pytest.mark.parametrize(
    "stability, tasks, message",
    [
        ({"samples": 1}, None, "samples"),
        ({"compare_samples": 6}, None, "config: stability: compare_samples (6) exceeds samples (5)"),
        ({"methods": ["diffmaen"]}, None, "config: stability.methods: unknown method 'diffmaen'"),
        ({"methods": ["diffmean"]}, ["ner"], "config: diffmean contrasts a task with the config's other tasks"),
        ({"sizez": [2]}, None, "sizez"),
        ({"parts": "bad"}, None, "parts"),
        ({"tasks": ["nre"]}, None, "config: stability.tasks: 'nre' is not one of the config's tasks"),
        ({"tasks": ["ner"]}, None, "config: stability: diffmean contrasts a task with the study's other tasks"),
    ],
)
def test_bad_stability_keys_are_refused_before_any_job(tmp_path, stability, tasks, message):
    changes = {"stability": stability} | ({"tasks": tasks, "table7": {"task": tasks[0], "methods": ["cni"],
                                                                       "budgets": [10]}} if tasks else {})  # fmt: skip
    result = snakemake(
        "-n", "--cores", "2", f"{tmp_path}/stability.md", "--configfile", str(write_config(tmp_path, **changes))
    )
    assert result.returncode != 0 and message in result.stdout + result.stderr, (result.stdout + result.stderr)[-1500:]


@pytest.mark.slow
def test_a_tiny_stability_run_writes_the_report(tiny_local_model, tmp_path):
    """The whole target on the tiny local model: pools, sets, evaluations against the main job's, report
    (minutes on a busy 2-core machine: `-m slow`)."""
    results = tmp_path / "results"
    configfile = tmp_path / "tiny.yaml"
    configfile.write_text(yaml.safe_dump({
        "models": {"tiny": {"spec": tiny_local_model}}, "tasks": ["ner", "sentiment"], "methods": ["tn", "random"],
        "budget": 5, "answer_format": "text", "data_files": "shipped", "seeds": [0], "instances": 2,
        "eval_instances": 4, "steps": 2, "layer_batch": 3, "z": 20, "null_sets": 2, "bootstrap": 200,
        "ablation_methods": ["tn"], "results_dir": str(results),
        "table7": {"task": "ner", "methods": ["tn"], "budgets": [5]},
        "stability": {"methods": ["tn", "diffmean", "random"], "samples": 2, "instances": 1, "sizes": [1, 2],
                      "reference": 1, "compare_samples": 1, "compare_steps": 3},
    }))  # fmt: skip
    result = snakemake("--cores", "2", str(results / "stability.md"), "--configfile", str(configfile), timeout=1800)
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    text = (results / "stability.md").read_text()
    for title in ("Set stability: Jaccard overlap", "m = 2 vs m = 3", "text vs letter", "How much data",
                  "Effect stability"):  # fmt: skip
        assert title in text, title
    rows = pd.read_csv(results / "stability.csv")
    effects = rows[rows.comparison == "effect"]
    assert set(effects["label"]) == {"sample0", "sample1", "n1", "n2", "reference"}
    assert len(effects) == 2 * 3 * 5 * 2  # tasks, methods, sets, Deg/Enh
    assert effects[effects.value.notna()]["null_high"].notna().all()  # a defined effect has its band
    assert (results / "stability.png").read_bytes()[:4] == b"\x89PNG" and (results / "stability.tex").is_file()
