"""Pairing (issue 16, class "pairing"): `metrics` pairs an original with its conditions and null sets only
when they scored the same questions on the same data content with the same model, the null sets have
the condition's shape and are not the condition, the bootstrap can give a 95% interval, and --info
agrees with what the files record. Evaluations are real `evaluate` outputs of a tiny model."""

import json
import shutil
from pathlib import Path

import pytest

from neuronllm.errors import UserError
from neuronllm.neurons import Neuron, NeuronSet

ROOT = Path(__file__).resolve().parents[2]


def neuron_set(path: Path, good: int, bad: int, start: int = 0, **provenance) -> str:
    NeuronSet(
        [Neuron(1, start + i, 1.0) for i in range(good)],
        [Neuron(2, start + i, -1.0) for i in range(bad)],
        [48] * 3,
        provenance,
    ).save(path)
    return str(path)


@pytest.fixture(scope="module")
def evaluations(tmp_path_factory, tiny_local_model):
    """original, a 5+5 condition, a 1+1 null, and the original on another validation file (same label)."""
    from neuronllm.evaluation.evaluate import Condition, EvalSettings, evaluate

    work = tmp_path_factory.mktemp("pairing")
    data = work / "data"
    data.mkdir()
    for split in ("train", "validation"):
        shutil.copy(ROOT / "data" / "sentiment" / f"{split}.jsonl", data / f"{split}.jsonl")
    rows = (data / "validation.jsonl").read_text().splitlines()
    (data / "other.jsonl").write_text("\n".join(rows[1:] + rows[:1]) + "\n")  # other rows first
    files = {"train": str(data / "train.jsonl"), "validation": str(data / "validation.jsonl")}
    big = neuron_set(work / "big.json", 5, 5, method="cni", budget=5, task="sentiment")
    small = neuron_set(work / "small.json", 1, 1, method="null", null="uniform", budget=1, index=0)
    same_shape = neuron_set(work / "null.json", 5, 5, start=20, method="null", null="uniform", budget=5, index=1)
    settings = EvalSettings(task="sentiment", instances=4, eval_instances=3, data_files=files)
    names = ["original", "big", "small", "null"]
    paths = {name: str(work / f"eval_{name}.json") for name in names}
    evaluate(
        tiny_local_model,
        settings,
        [Condition(), Condition(big), Condition(small), Condition(same_shape)],
        [paths[n] for n in names],
    )
    other = dict(files, validation=str(data / "other.jsonl"))
    paths["other"] = str(work / "eval_other.json")
    evaluate(
        tiny_local_model,
        EvalSettings(task="sentiment", instances=4, eval_instances=3, data_files=other),
        [Condition(big)],
        [paths["other"]],
    )
    return paths, work


def metrics(paths, conditions, nulls=(), info="{}", resamples=100, out=None):
    from neuronllm.analysis.metrics_files import write_metrics

    out = out or str(Path(paths["original"]).parent / "m.json")
    write_metrics(paths["original"], [paths[c] for c in conditions], out, info, [paths[n] for n in nulls], resamples)
    return json.loads(Path(out).read_text())


def test_a_valid_pairing_passes(evaluations):
    paths, _ = evaluations
    result = metrics(paths, ["big"], ["null"], info='{"method": "cni", "budget": 5, "task": "sentiment"}')
    assert result["conditions"]["deg/both"]["null"]["sets"] == 1


def test_a_condition_on_another_data_file_is_not_paired(evaluations):
    """Both record `data_source: local files`; their data digests differ."""
    paths, _ = evaluations
    assert json.loads(Path(paths["other"]).read_text())["data_source"] == ["local files"]
    with pytest.raises(UserError, match="other data|other questions"):
        metrics(paths, ["other"])


def test_questions_with_other_gold_answers_are_not_paired(evaluations, tmp_path):
    paths, _ = evaluations
    edited = json.loads(Path(paths["big"]).read_text())
    row = edited["predictions"][0]  # the same data digest: the instance keys alone must catch it
    row["predicted_text"] = "something else" if row["correct"] else row["predicted_text"]
    row["gold_text"] = "something else"
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(edited))
    with pytest.raises(UserError, match="scored other questions than the original"):
        metrics(paths | {"edited": str(path)}, ["edited"])


def test_a_condition_of_another_model_load_is_not_paired(evaluations, tmp_path):
    paths, _ = evaluations
    edited = json.loads(Path(paths["big"]).read_text())
    edited["model_identity"]["load_arguments"] = {"max_length": 64}
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(edited))
    with pytest.raises(UserError, match="another model load_arguments"):
        metrics(paths | {"edited": str(path)}, ["edited"])


def test_null_sets_of_another_shape_give_no_band(evaluations, capfd):
    """1 + 1 random neurons are not the chance level of a 5 + 5 condition: left out of the band, with one
    warning and the reason in the file (the pipeline's K + K nulls meet methods that found fewer than K)."""
    paths, _ = evaluations
    entry = metrics(paths, ["big"], ["small"])["conditions"]["deg/both"]
    assert (
        "null" not in entry
        and "change 1 good + 1 bad neurons, the condition 5 good + 5 bad" in entry["null_unavailable"]
    )
    warnings = [
        line for line in capfd.readouterr().err.splitlines() if "a band needs sets of the condition's shape" in line
    ]
    assert len(warnings) == 1 and warnings[0].endswith("no band")
    mixed = metrics(paths, ["big"], ["small", "null"])["conditions"]["deg/both"]
    assert mixed["null"]["sets"] == 1 and "null_unavailable" not in mixed


def test_the_condition_is_not_its_own_null(evaluations):
    paths, _ = evaluations
    with pytest.raises(UserError, match="is the condition's own neuron set"):
        metrics(paths, ["big"], ["big"])


def test_too_few_resamples_for_a_95_percent_interval_are_refused(evaluations):
    paths, _ = evaluations
    with pytest.raises(UserError, match="--resamples 10 is too few for a 95% interval"):
        metrics(paths, ["big"], resamples=10)


@pytest.mark.parametrize(
    "info, message",
    [
        ('{"budget": 100}', "--info budget 100 does not match condition degrade/both's neuron set \\(5\\)"),
        ('{"method": "tn"}', "--info method 'tn' does not match"),
        ('{"task": "ner"}', "--info task 'ner' does not match the evaluations \\('sentiment'\\)"),
        ('{"instances": 9}', "--info instances 9 does not match"),
    ],
)
def test_info_fields_the_files_record_are_checked(evaluations, info, message):
    paths, _ = evaluations
    with pytest.raises(UserError, match=message):
        metrics(paths, ["big"], info=info)
