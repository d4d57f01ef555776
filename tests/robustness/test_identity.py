"""Identity by content (issue 16, class "identity"): a number is reused or paired only when the *content*
of its inputs matches, not their names. One test per defect: an edited data file or task spec reruns
exactly the dependent Snakemake jobs and makes old attributions unusable; loading arguments reach the
scoring model; the `neuronllm` model truncates exactly as HFLM does; every output names its digests."""

import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from lm_eval.api.instance import Instance

from neuronllm.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"


def sentiment_files(directory: Path) -> dict[str, str]:
    """A copy of the shipped sentiment data: files a test may edit."""
    directory.mkdir(parents=True, exist_ok=True)
    for split in ("train", "validation"):
        shutil.copy(DATA / "sentiment" / f"{split}.jsonl", directory / f"{split}.jsonl")
    return {split: str(directory / f"{split}.jsonl") for split in ("train", "validation")}


def flip_labels(path: str) -> None:
    rows = [json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()]
    Path(path).write_text("".join(json.dumps(row | {"label": 1 - row["label"]}) + "\n" for row in rows))


@pytest.fixture(scope="module")
def sentiment_attributions(tmp_path_factory, tiny_local_model):
    from neuronllm.methods.identify import IdentifySettings, attribute

    work = tmp_path_factory.mktemp("identity")
    files = sentiment_files(work / "data")
    settings = IdentifySettings(
        task="sentiment", answer_format="text", seed=0, instances=4, steps=2, layer_batch=3, z=20, data_files=files
    )
    path = work / "attributions.pt"
    attribute(tiny_local_model, settings, ["contrastive"], progress=False).save(path)
    return path, settings, files


def test_attributions_of_edited_data_are_refused(sentiment_attributions, tiny_local_model):
    """Same `data_files` string, other labels: the data digest differs, the attributions are refused."""
    from neuronllm.attribution.kinds import Attributions
    from neuronllm.methods.identify import identify

    path, settings, files = sentiment_attributions
    attributions = Attributions.load(path)
    assert attributions.provenance["digests"]["data"]
    identify(tiny_local_model, "random", 5, settings, attributions)  # unchanged data: accepted
    original = Path(files["train"]).read_bytes()
    try:
        flip_labels(files["train"])
        with pytest.raises(UserError, match="computed on other data"):
            identify(tiny_local_model, "random", 5, settings, Attributions.load(path))
    finally:
        Path(files["train"]).write_bytes(original)


def test_attributions_of_an_edited_task_spec_or_template_are_refused(
    sentiment_attributions, tiny_local_model, tmp_path, monkeypatch
):
    from neuronllm.attribution.kinds import Attributions
    from neuronllm.methods.identify import identify

    path, settings, _ = sentiment_attributions
    tasks = tmp_path / "tasks"
    shutil.copytree(ROOT / "tasks", tasks)
    monkeypatch.setattr("neuronllm.package_data.tasks_dir", lambda: str(tasks))
    identify(tiny_local_model, "random", 5, settings, Attributions.load(path))  # a copy of the same files: accepted
    spec = tasks / "aqua" / "aqua_sentiment.yaml"
    spec.write_text(spec.read_text().replace("label_names: [negative, positive]", "label_names: [positive, negative]"))
    with pytest.raises(UserError, match="another version of task sentiment's spec"):
        identify(tiny_local_model, "random", 5, settings, Attributions.load(path))
    shutil.copy(ROOT / "tasks" / "aqua" / "aqua_sentiment.yaml", spec)
    template = tasks / "aqua" / "templates" / "prompt.jinja"
    template.write_text(template.read_text() + "\n")
    with pytest.raises(UserError, match="another version of task sentiment's spec"):
        identify(tiny_local_model, "random", 5, settings, Attributions.load(path))


def test_every_output_names_the_digests_it_was_computed_from(sentiment_attributions, tiny_local_model, tmp_path):
    from neuronllm.analysis.metrics_files import write_metrics
    from neuronllm.attribution.kinds import Attributions
    from neuronllm.evaluation.evaluate import Condition, EvalSettings, evaluate
    from neuronllm.methods.identify import identify

    path, settings, files = sentiment_attributions
    attributions = Attributions.load(path)
    neuron_set = identify(tiny_local_model, "random", 5, settings, attributions)
    assert neuron_set.provenance["digests"] == attributions.provenance["digests"]
    set_path = tmp_path / "set.json"
    neuron_set.save(set_path)
    outs = [tmp_path / "o.json", tmp_path / "d.json"]
    results = evaluate(
        tiny_local_model,
        EvalSettings(task="sentiment", instances=4, eval_instances=2, data_files=files),
        [Condition(), Condition(str(set_path))],
        outs,
    )
    digests = results[0]["digests"]
    assert digests["data"] == attributions.provenance["digests"]["data"]
    assert digests["task_spec"] == attributions.provenance["digests"]["task_spec"]
    assert digests["model"] and digests["settings"] and digests["code"]["scorer"]
    write_metrics(str(outs[0]), [str(outs[1])], str(tmp_path / "m.json"), resamples=100)
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["digests"]["data"] == digests["data"] and set(metrics["digests"]["evaluations"]) == {
        str(p) for p in outs
    }


def test_max_length_reaches_evaluate(tiny_local_model):
    """`--model-args max_length=64` used to be recorded and ignored (the scoring model never saw it)."""
    from neuronllm.evaluation.evaluate import Condition, EvalSettings, evaluate

    settings = EvalSettings(task="sentiment", instances=4, eval_instances=1, data_files="shipped")
    whole = evaluate(tiny_local_model, settings, [Condition()])[0]
    cut = evaluate(tiny_local_model, settings, [Condition()], model_args={"max_length": 64})[0]
    assert cut["model_identity"]["load_arguments"]["max_length"] == 64
    assert [p["scores"] for p in cut["predictions"]] != [p["scores"] for p in whole["predictions"]]
    assert cut["digests"]["model"] != whole["digests"]["model"]


def test_max_length_is_refused_where_it_would_be_ignored():
    from neuronllm.cli.checks import model_args

    with pytest.raises(UserError, match="max_length applies to evaluation only"):
        model_args("max_length=64", scoring=False)


def test_neuronllm_truncates_exactly_as_hflm_and_warns_once(tiny_local_model, capfd):
    """Contexts longer than max_length: the kept tokens (hence the numbers) are HFLM's, request by request."""
    from lm_eval.models.huggingface import HFLM

    from neuronllm.evaluation.lm_eval_model import NeuronLLM

    context = "The quick brown fox jumps over the lazy dog near the river bank while the sun sets. " * 3 + "Answer:"
    options = [" person", " a rather long location name", " event"]
    requests = [Instance("loglikelihood", doc={}, arguments=(context, c), idx=i) for i, c in enumerate(options)]
    reference = HFLM(pretrained=tiny_local_model, max_length=16, device="cpu").loglikelihood(
        requests, disable_tqdm=True
    )
    capfd.readouterr()
    model = NeuronLLM(pretrained=tiny_local_model, max_length=16, letter_merge=False, device="cpu")
    ours = model.loglikelihood(requests, disable_tqdm=True)
    model.loglikelihood(requests, disable_tqdm=True)
    for (a, _), (b, _) in zip(ours, reference):
        assert abs(a - b) < 1e-4
    warnings = [line for line in capfd.readouterr().err.splitlines() if "longer than max_length" in line]
    assert len(warnings) == 1 and warnings[0].startswith("neuronllm: warning: 3 of 3 requests")


def test_a_continuation_longer_than_max_length_is_refused(tiny_local_model):
    from neuronllm.evaluation.lm_eval_model import NeuronLLM

    model = NeuronLLM(pretrained=tiny_local_model, max_length=4, letter_merge=False, device="cpu")
    request = Instance("loglikelihood", doc={}, arguments=("Answer:", " one two three four five six"), idx=0)
    with pytest.raises(UserError, match="longer than max_length 4"):
        model.loglikelihood([request], disable_tqdm=True)


# ----------------------------------------------------------------------------------------------- Snakemake


def _jobs(output: str) -> set[tuple[str, str, str]]:
    """(rule, task wildcard or '', method wildcard or '') of every job a dry run plans."""
    jobs, rule = set(), None
    for line in output.splitlines():
        if match := re.match(r"^(?:local)?rule (\w+):", line):
            rule = match.group(1)
            jobs.add((rule, "", ""))
        elif rule and (match := re.match(r"^\s+wildcards: (.*)", line)):
            values = dict(item.split("=", 1) for item in match.group(1).split(", ") if "=" in item)
            jobs.discard((rule, "", ""))
            jobs.add((rule, values.get("task", ""), values.get("method", "")))
    return jobs


def _outputs(output: str) -> list[str]:
    return [
        p.strip()
        for line in output.splitlines()
        if line.strip().startswith("output:")
        for p in line.split("output:", 1)[1].split(",")
        if p.strip()
    ]


def test_an_edited_data_file_or_task_spec_reruns_exactly_its_jobs(tmp_path):
    """Data files, task YAMLs and templates are rule inputs: edit one, and `snakemake -n` plans that
    task's jobs (and what aggregates them), not the other task's."""
    copy = tmp_path / "repo"
    copy.mkdir()
    for name in ("Snakefile", "workflow", "config", "neuronllm", "tasks", "data"):
        (shutil.copytree if (ROOT / name).is_dir() else shutil.copy)(ROOT / name, copy / name)
    results = tmp_path / "results"
    env = dict(os.environ, PYTHONPATH=str(copy), HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")

    def dry_run() -> str:
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "snakemake",
                "-n",
                "--cores",
                "1",
                "all_tables",
                "--rerun-triggers",
                "mtime",
                "--configfile",
                "config/ci.yaml",
                "--config",
                f"results_dir={results}",
            ],
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout + result.stderr

    stamp = time.time() - 1000
    for path in _outputs(dry_run()):  # every output exists, newer than every input
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        Path(path).touch()
        os.utime(path, (stamp, stamp))
    for path in [*copy.rglob("*.jsonl"), *copy.rglob("*.yaml"), *copy.rglob("*.jinja")]:
        os.utime(path, (stamp - 100, stamp - 100))

    # The other task's jobs that do depend on the edited one: the common ability neurons (found from
    # every task's CNI set) evaluated there, and their metrics. Nothing else of the other task.
    def other_task_jobs(other: str) -> set[tuple[str, str, str]]:
        return {("evaluate_common", other, ""), ("metrics", other, "common")}

    flip_labels(str(copy / "data" / "sentiment" / "validation.jsonl"))
    planned = _jobs(dry_run())
    assert {
        ("attribute", "sentiment", ""),
        ("evaluate_main", "sentiment", ""),
        ("identify", "sentiment", "cni"),
    } <= planned
    assert {job for job in planned if job[1] == "commonsense"} == other_task_jobs("commonsense"), planned
    os.utime(copy / "data" / "sentiment" / "validation.jsonl", (stamp - 100, stamp - 100))

    spec = copy / "tasks" / "aqua" / "aqua_commonsense.yaml"
    spec.write_text(spec.read_text().replace("everyday situations", "everyday life"))
    planned = _jobs(dry_run())
    assert {
        ("attribute", "commonsense", ""),
        ("evaluate_main", "commonsense", ""),
        ("evaluate_table7", "commonsense", ""),
    } <= planned
    assert {job for job in planned if job[1] == "sentiment"} == other_task_jobs("sentiment"), planned
