"""The CI config through profiles/slurm on a real single-node SLURM cluster (tests/e2e/slurm/up.sh):
every cluster job goes through sbatch and shows in squeue, on the partition the profile gives its rule;
one job cancelled with scancel mid-run makes the run fail, and the same command then submits only what
had not completed; the numbers equal the CI reference (.ci/regression.py's collect/compare).

Slow (about 8 minutes on 2 cores): `make ci-slurm` (what .ci/run runs) or
`python -m pytest -m slow tests/e2e/test_slurm_cluster.py`. It uses the cluster of $SLURM_CONF when one
answers, else starts one with up.sh and stops it with down.sh (root, or slurm-wlm and munge installed).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / ".ci"))  # CI code lives beside .ci/run, not in the library
import regression  # noqa: E402  (after the path to .ci/)

SCRIPTS = ROOT / "tests" / "e2e" / "slurm"
RESULTS = "results/ci-slurm"
TARGETS = [f"{RESULTS}/{target}.md" for target in regression.TARGETS]
GPU_RULES = ("attribute", "evaluate_")
LOCAL_RULES = {
    "table1",
    "table5",
    "ablation",
    "table7",
    "metrics_csv",
    "layer_figure",
    "specificity_report",
}  # report.smk

pytestmark = pytest.mark.slow


def cluster_answers(env: dict) -> bool:
    return bool(env.get("SLURM_CONF")) and shutil.which("sinfo") is not None and subprocess.run(
        ["sinfo", "-h"], env=env, capture_output=True, timeout=30).returncode == 0  # fmt: skip


@pytest.fixture(scope="module")
def cluster_env():
    """The environment of a SLURM client of a running cluster (started here if none answers)."""
    env = dict(os.environ)
    started = not cluster_answers(env)
    if started:
        up = subprocess.run([str(SCRIPTS / "up.sh")], capture_output=True, text=True, timeout=900)
        assert up.returncode == 0, up.stderr[-3000:]
        exported = dict(word.split("=", 1) for word in up.stdout.split() if "=" in word)
        env["SLURM_CONF"] = exported["SLURM_CONF"]
        started = "NEURONLLM_SLURM_REUSED" not in exported  # a cluster up.sh found running stays up
    try:
        yield env
    finally:
        if started:
            subprocess.run([str(SCRIPTS / "down.sh")], env=env, timeout=120)


def profile_env(cluster_env: dict) -> dict:
    """The local cluster's names as profile variables: partitions cpu/gpu, no GRES (no --gpus), squeue
    (no accounting database), no retry (the cancelled job must fail the run)."""
    return dict(
        cluster_env, PATH=f"{Path(sys.executable).parent}{os.pathsep}{cluster_env['PATH']}",
        NEURONLLM_SLURM_CPU_PARTITION="cpu", NEURONLLM_SLURM_GPU_PARTITION="gpu", NEURONLLM_SLURM_GPUS="0",
        NEURONLLM_SLURM_STATUS="squeue", NEURONLLM_SLURM_RETRIES="0",
        HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1", TOKENIZERS_PARALLELISM="false",
    )  # fmt: skip


def command(*extra: str) -> list[str]:
    return [sys.executable, "-m", "snakemake", "--profile", "profiles/slurm", "--configfile", regression.CONFIG,
            "--config", f"results_dir={RESULTS}", "--slurm-init-seconds-before-status-checks", "5",
            *extra, *TARGETS]  # fmt: skip


def squeue(env: dict) -> list[dict[str, str]]:
    """Every job the controller knows (MinJobAge in up.sh keeps finished ones for an hour)."""
    out = subprocess.run(["squeue", "--states=all", "--noheader", "--format=%i|%j|%T|%P|%k"], env=env,
                         capture_output=True, text=True, check=True, timeout=60).stdout  # fmt: skip
    jobs = []
    for line in out.splitlines():
        jobid, name, state, partition, comment = line.strip().split("|", 4)
        jobs.append({"id": jobid, "run": name, "state": state, "partition": partition, "job": comment})
    return jobs


def cluster_jobs(env: dict) -> list[str]:
    """The jobs a fresh run submits (dry run; local rules excluded), named as the plugin's sbatch --comment
    names them: rule_<rule>, or rule_<rule>_wildcards_<values joined by _>."""
    dry = subprocess.run(command("-n", "--forceall"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert dry.returncode == 0, dry.stderr[-3000:]
    jobs: list[str] = []
    for stanza in re.split(r"\n(?=\[|rule |localrule )", dry.stdout + "\n" + dry.stderr):
        head = re.match(r"rule (\w+):", stanza)
        if head and head.group(1) not in LOCAL_RULES:
            values = re.search(r"^\s+wildcards: (.+)$", stanza, re.M)
            wildcards = "_".join(part.split("=", 1)[1] for part in values.group(1).split(", ")) if values else ""
            jobs.append(f"rule_{head.group(1)}" + (f"_wildcards_{wildcards}" if wildcards else ""))
    return jobs


def test_ci_config_through_slurm_equals_the_reference_and_a_cancelled_job_resumes(cluster_env):
    env = profile_env(cluster_env)
    shutil.rmtree(ROOT / RESULTS, ignore_errors=True)
    expected = cluster_jobs(env)
    before = {job["id"] for job in squeue(env)}

    start = time.time()
    log = ROOT / RESULTS / "first_run.log"  # a file, not a pipe: nobody reads a pipe while we poll squeue
    log.parent.mkdir(parents=True)
    with log.open("w") as out:
        run = subprocess.Popen(command(), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        cancelled = None
        while cancelled is None and run.poll() is None and time.time() - start < 900:
            running = [j for j in squeue(env) if j["id"] not in before and j["state"] == "RUNNING"
                       and j["job"].startswith("rule_evaluate_")]  # fmt: skip
            if running:
                time.sleep(5)  # mid-run: the model is loaded and evaluating
                cancelled = running[0]
                subprocess.run(["scancel", cancelled["id"]], env=env, check=True, timeout=60)
            time.sleep(1)
        run.wait(timeout=900)
    first_log = log.read_text()
    first_wall = time.time() - start
    assert cancelled is not None, "no evaluate job was seen running:\n" + first_log[-3000:]
    assert run.returncode != 0, "the run with a cancelled job did not fail:\n" + first_log[-3000:]

    first = [j for j in squeue(env) if j["id"] not in before]
    assert {j["run"] for j in first} and len({j["run"] for j in first}) == 1  # one run, named by its uuid
    state = {j["id"]: j["state"] for j in first}
    assert state[cancelled["id"]] == "CANCELLED"
    done_first = {j["job"] for j in first if j["state"] == "COMPLETED"}
    assert cancelled["job"] not in done_first

    start = time.time()
    second = subprocess.run(command(), cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    second_wall = time.time() - start
    assert second.returncode == 0, second.stdout[-2000:] + second.stderr[-3000:]
    rerun = [j for j in squeue(env) if j["id"] not in before and j["run"] not in {j["run"] for j in first}]

    # Every cluster job went through sbatch and showed in squeue, each on its rule's partition.
    assert all(j["state"] == "COMPLETED" for j in rerun), [j for j in rerun if j["state"] != "COMPLETED"]
    submitted_again = {j["job"] for j in rerun}
    assert not submitted_again & done_first, f"resubmitted completed jobs: {sorted(submitted_again & done_first)}"
    assert cancelled["job"] in submitted_again
    assert sorted(done_first | submitted_again) == sorted(expected), (
        sorted(done_first | submitted_again),
        sorted(expected),
    )
    for job in first + rerun:
        rule = job["job"].removeprefix("rule_").split("_wildcards_")[0]
        assert job["partition"] == ("gpu" if rule.startswith(GPU_RULES) else "cpu"), job

    reference = json.loads(regression.REFERENCE.read_text())
    current = regression.collect(RESULTS)
    problems = regression.compare(reference["numbers"], current, reference.get("tolerance", regression.ABS_TOLERANCE))
    problems += regression.on_target_differences(current, RESULTS)
    assert not problems, "\n".join(problems)
    summary = {"jobs": len(expected), "first_run_jobs": len(first), "first_run_completed": len(done_first),
               "cancelled": cancelled["job"], "second_run_jobs": len(rerun), "first_wall_s": round(first_wall),
               "second_wall_s": round(second_wall), "entries_equal_reference": len(current)}  # fmt: skip
    print("slurm run:", json.dumps(summary))
    (ROOT / RESULTS / "slurm_run.json").write_text(json.dumps(summary, indent=1) + "\n")
