"""A real (tiny) pipeline run: killed mid-way it resumes without redoing finished jobs or leaving a
corrupt output, and a changed config value reruns only the jobs that depend on it."""

import base64
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import yaml
from snakemake_runs import environment

ROOT = Path(__file__).resolve().parents[2]


def snakemake_command(workdir: Path, configfile: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "snakemake", "--snakefile", str(ROOT / "Snakefile"), "--directory", str(workdir),
            "--configfile", str(configfile), "--cores", "1", *args]  # fmt: skip


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def jobs_to_run(workdir: Path, configfile: Path, *args: str) -> set[str]:
    """Rule names a dry run would execute (Snakemake's job-stats table)."""
    result = subprocess.run(snakemake_command(workdir, configfile, "-n", "--quiet", "rules", *args),
                            capture_output=True, text=True, env=environment(), timeout=300)  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    rules = set()
    for line in (result.stdout + result.stderr).splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].isdigit() and parts[0] not in ("total", "job"):
            rules.add(parts[0])
    return rules


def test_killed_run_resumes_and_a_config_change_reruns_only_its_dependents(tiny_local_model, tmp_path):
    results = tmp_path / "results dir;touch STRAY"  # a space and a `;`: every command must quote it
    configfile = tmp_path / "config.yaml"
    configfile.write_text(yaml.safe_dump({
        "models": {"tiny": {"spec": tiny_local_model}}, "tasks": ["ner"], "methods": ["cni", "random"],
        "budget": 5, "answer_format": "text", "data_files": "shipped", "seeds": [0], "instances": 3,
        "eval_instances": 4, "steps": 2, "layer_batch": 3, "z": 20, "null_sets": 2, "bootstrap": 200,
        "prefix_cache": True, "ablation_methods": ["cni"], "results_dir": str(results),
    }))  # fmt: skip
    attributions = results / "tiny" / "s0" / "ner" / "attributions.pt"

    # Kill the whole run (snakemake and its running job) with SIGKILL once identification is done.
    run = subprocess.Popen(snakemake_command(tmp_path, configfile), env=environment(), start_new_session=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    deadline = time.time() + 240
    while not list(results.glob("tiny/s0/ner/*/k5/neurons.json")) and time.time() < deadline:
        assert run.poll() is None, "the run ended before it could be killed"
        time.sleep(0.2)
    os.killpg(run.pid, signal.SIGKILL)
    run.wait()
    assert attributions.is_file() and not (results / "table1.md").exists()
    # Outputs Snakemake had not yet recorded as finished are flagged incomplete and rerun (the
    # workflow profile sets rerun-incomplete: our atomic writes make rerunning them safe).
    flagged = {base64.b64decode(f.name).decode() for f in (tmp_path / ".snakemake" / "incomplete").glob("*")}
    finished = {path: path.stat().st_mtime_ns for path in results.rglob("*") if path.is_file()}
    finished = {path: mtime for path, mtime in finished.items() if str(path) not in flagged}
    for path in finished:
        if path.suffix == ".json" and not path.name.endswith(".tmp"):
            json.loads(path.read_text())  # never a half-written output

    # A SIGKILLed Snakemake cannot release its lock: `--unlock`, then the same command finishes the run.
    subprocess.run(snakemake_command(tmp_path, configfile, "--unlock"), env=environment(), check=True,
                   capture_output=True, timeout=120)  # fmt: skip
    # The README's main command names results/table1.md; `snakemake --report` (default target) works after it.
    resumed = subprocess.run(snakemake_command(tmp_path, configfile, str(results / "table1.md")), env=environment(),
                             capture_output=True, text=True, timeout=600)  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert (results / "table1.md").is_file() and (results / "metrics.csv").is_file()
    report = subprocess.run(snakemake_command(tmp_path, configfile, "--report", str(tmp_path / "report.html")),
                            env=environment(), capture_output=True, text=True, timeout=300)  # fmt: skip
    assert report.returncode == 0, report.stderr[-3000:]
    assert (tmp_path / "report.html").stat().st_size > 10_000
    assert "rule attribute" not in resumed.stderr  # the finished attribution was not redone
    for path, mtime in finished.items():
        if path.suffix in (".pt", ".json") and "logs" not in path.parts and "benchmarks" not in path.parts:
            assert path.stat().st_mtime_ns == mtime, f"{path} was rewritten"
    assert not list(results.rglob(".*.tmp")), "a temporary file was left behind"
    assert not list(tmp_path.rglob("STRAY")) and not (ROOT / "STRAY").exists()  # nothing ran outside results
    assert oct((results / "table1.md").stat().st_mode & 0o777) == oct(0o666 & ~current_umask())

    assert jobs_to_run(tmp_path, configfile) == set()
    changed = jobs_to_run(tmp_path, configfile, "--config", "eval_instances=3")
    assert {"evaluate_main", "metrics", "table1"} <= changed
    assert not changed & {"attribute", "identify"}
    assert jobs_to_run(tmp_path, configfile, "--config", "steps=3") >= {"attribute", "identify", "table1"}
