"""One test per item of the robustness issue that is not a command-line probe (probes.py has those):
no silent wrong numbers (items 1-6), lm-eval as typed (10), small things users notice (12).
Snakemake quoting and config validation (item 11) are in tests/e2e/test_pipeline.py and here."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from lm_eval.api.instance import Instance

from neuronllm.errors import UserError
from neuronllm.neurons import Neuron, NeuronSet

MALFORMED = Path(__file__).resolve().parents[1] / "fixtures" / "malformed"
ROOT = Path(__file__).resolve().parents[2]
PROMPT = "Options:\nA. person B. location C. event\nCorrect answer:"


def requests():
    return [
        Instance("loglikelihood", doc={}, arguments=(PROMPT, c), idx=i) for i, c in enumerate([" person", " location"])
    ]


def save_random_llama(directory: Path, tokenizer, seed: int) -> None:
    from tiny_models import save_tiny_llama

    save_tiny_llama(directory, tokenizer, seed)


# 1 ---------------------------------------------------------------------------------------------


def test_1_prefix_cache_misses_after_the_weights_change_and_for_another_dtype(tmp_path, embedded):
    from neuronllm.evaluation.lm_eval_model import NeuronLLM

    model_dir, cache = tmp_path / "model", tmp_path / "cache"
    save_random_llama(model_dir, embedded.tokenizer, seed=0)
    first = NeuronLLM(pretrained=str(model_dir), prefix_cache=str(cache)).loglikelihood(requests(), disable_tqdm=True)
    save_random_llama(model_dir, embedded.tokenizer, seed=1)  # overwrite the checkpoint in place
    cached = NeuronLLM(pretrained=str(model_dir), prefix_cache=str(cache))
    after = cached.loglikelihood(requests(), disable_tqdm=True)
    fresh = NeuronLLM(pretrained=str(model_dir)).loglikelihood(requests(), disable_tqdm=True)
    assert after == fresh and after != first
    assert cached.prefix_cache.hits == 0  # the old model's entry was not read
    bf16 = NeuronLLM(pretrained=str(model_dir), prefix_cache=str(cache), dtype="bfloat16")
    bf16.loglikelihood(requests(), disable_tqdm=True)  # must miss, not crash
    assert bf16.prefix_cache.hits == 0 and bf16.prefix_cache.misses == 1


# 2 ---------------------------------------------------------------------------------------------


def test_2_request_cache_identity_includes_the_dtype(tmp_path, tiny_local_model):
    from lm_eval.api.model import CachingLM

    from neuronllm.evaluation.lm_eval_model import NeuronLLM

    fp32 = NeuronLLM(pretrained=tiny_local_model)
    bf16 = NeuronLLM(pretrained=tiny_local_model, dtype="bfloat16")
    assert fp32.cache_identity != bf16.cache_identity
    db = str(tmp_path / "cache.db")
    first = CachingLM(fp32, db).loglikelihood(requests())
    second = CachingLM(bf16, db).loglikelihood(requests())
    assert second == bf16.loglikelihood(requests(), disable_tqdm=True) and second != first


# 3 ---------------------------------------------------------------------------------------------


def test_3_duplicate_ids_do_not_merge_instances(tmp_path):
    from neuronllm.analysis.metrics import comprehension
    from neuronllm.tasks.aqua import build_split
    from neuronllm.tasks.data import load_task_data
    from neuronllm.tasks.lm_eval_tasks import find_task, process_results

    spec = find_task("sentiment").spec
    rows = [json.loads(line) for line in (MALFORMED / "sentiment_duplicate_ids.jsonl").read_text().splitlines()]
    twin = tmp_path / "unique.jsonl"  # the same rows with distinct ids
    twin.write_text("".join(json.dumps(row | {"idx": i}) + "\n" for i, row in enumerate(rows)))
    files = {"train": str(MALFORMED / "sentiment_unique_ids.jsonl")}
    duplicated = load_task_data(
        spec, data_files=files | {"validation": str(MALFORMED / "sentiment_duplicate_ids.jsonl")}
    )
    unique = load_task_data(spec, data_files=files | {"validation": str(twin)})
    proxies = build_split(spec, duplicated, "evaluate", 0, "text")
    assert len({p.instance_id for p in proxies}) == len(duplicated.evaluate) > 1  # every row its own instance
    assert {p.source_id for p in proxies} == {"0"}  # the file's ids, all "0", are kept for display only
    same = build_split(spec, unique, "evaluate", 0, "text")
    assert [p.instance_id for p in proxies] == [p.instance_id for p in same]  # position in the split, not the id
    items = [process_results(p.as_doc(), [(0.0, False), (-1.0, False)])["comprehension"] for p in proxies]
    assert 0 < comprehension(items) < 1  # one merged instance would read 0 or 1


# 4 ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ner_attributions(tmp_path_factory, tiny_local_model):
    from neuronllm.methods.identify import IdentifySettings, attribute

    settings = IdentifySettings(
        task="ner", answer_format="text", seed=0, instances=4, steps=2, layer_batch=3, z=20, data_files="shipped"
    )
    path = tmp_path_factory.mktemp("attr") / "ner.pt"
    attribute(tiny_local_model, settings, ["contrastive"], progress=False).save(path)
    return path, settings


@pytest.mark.parametrize(
    "change, message",
    [
        ({"task": "sentiment"}, "computed for task 'ner', not 'sentiment'"),
        ({"seed": 1}, "computed with seed 0, not 1"),
        ({"answer_format": "letter"}, "computed with answer-format 'text', not 'letter'"),
        ({"instances": 5}, "computed with instances 4, not 5"),
        ({"steps": 7}, "computed with steps 2, not 7"),
    ],
)
def test_4_attributions_of_another_request_are_refused(ner_attributions, tiny_local_model, change, message):
    from dataclasses import replace

    from neuronllm.attribution.kinds import Attributions
    from neuronllm.methods.identify import identify

    path, settings = ner_attributions
    with pytest.raises(UserError, match=message):
        identify(tiny_local_model, "cni", 5, replace(settings, **change), Attributions.load(path))


def test_4_attributions_of_another_model_are_refused(ner_attributions, tmp_path, embedded):
    from neuronllm.attribution.kinds import Attributions
    from neuronllm.methods.identify import identify

    path, settings = ner_attributions
    with pytest.raises(UserError, match="computed for model"):
        identify("embedded", "cni", 5, settings, Attributions.load(path))
    # same directory name, other weights: the content hash tells them apart
    attributions = Attributions.load(path)
    other = tmp_path / "other"
    save_random_llama(other, embedded.tokenizer, seed=5)
    attributions.provenance["model"] = str(other)
    with pytest.raises(UserError, match="other weights"):
        identify(str(other), "cni", 5, settings, attributions)


# 5 ---------------------------------------------------------------------------------------------


def test_5_typos_in_model_arguments_and_metadata_are_errors(tiny_local_model):
    from neuronllm.evaluation.lm_eval_model import NeuronLLM
    from neuronllm.tasks.lm_eval_tasks import build_text_dataset, find_task

    with pytest.raises(UserError, match="unknown model argument 'neuron' \\(did you mean 'neurons'\\?\\); valid: "):
        NeuronLLM(pretrained=tiny_local_model, neuron="x.json")
    with pytest.raises(
        UserError, match="unknown --metadata key 'eval_instance' \\(did you mean 'eval_instances'\\?\\)"
    ):
        build_text_dataset(spec=find_task("ner").spec, data_files="shipped", eval_instance=1)
    with pytest.raises(UserError, match="eval_instances must be a positive integer"):
        build_text_dataset(spec=find_task("ner").spec, data_files="shipped", eval_instances=0)
    dataset = build_text_dataset(
        spec=find_task("ner").spec,
        data_files="shipped",
        eval_instances=2,
        pretrained="embedded",
        version=1.0,
        config_source="x.yaml",
    )  # lm-eval's own keys pass
    assert len(dataset["evaluate"]) == 6


# 6 ---------------------------------------------------------------------------------------------


def test_6_an_empty_side_is_refused_at_identification(monkeypatch):
    from neuronllm.attribution.kinds import Attributions
    from neuronllm.methods.identify import IdentifySettings, identify

    # Two instances that disagree on every neuron: every candidate is ambiguous, CNI has nothing.
    scores = torch.ones(6, 2, 4)
    scores[3:] = -1.0
    attributions = Attributions(
        ["a", "a", "a", "b", "b", "b"],
        {"contrastive": scores},
        {
            "model": "embedded:SmolLM2-135M-Instruct.Q4_1.gguf",
            "task": "ner",
            "settings": {
                "answer_format": "text",
                "seed": 0,
                "instances": 2,
                "data_files": "shipped",
                "steps": 8,
                "engine": "cached",
            },
        },
    )
    monkeypatch.setattr("neuronllm.methods.identify.checkpoint_weights", lambda *a, **k: None)
    settings = IdentifySettings(task="ner", instances=2, steps=8, data_files="shipped", z=8)
    with pytest.raises(UserError, match="cni found no good neurons for task ner from 2 identification instance"):
        identify("embedded", "cni", 2, settings, attributions)


def test_6_an_empty_bad_side_is_refused_when_the_ablation_needs_it(monkeypatch):
    from neuronllm.attribution.kinds import Attributions
    from neuronllm.methods.identify import IdentifySettings, identify

    # Every gradient x activation positive: TN has good neurons and no (negative) bad ones.
    attributions = Attributions(
        ["a", "a", "a"],
        {"grad_x_act": torch.rand(3, 2, 4) + 0.1},
        {
            "model": "embedded:SmolLM2-135M-Instruct.Q4_1.gguf",
            "task": "ner",
            "settings": {
                "answer_format": "text",
                "seed": 0,
                "instances": 1,
                "data_files": "shipped",
                "steps": 8,
                "engine": "cached",
            },
        },
    )
    monkeypatch.setattr("neuronllm.methods.identify.checkpoint_weights", lambda *a, **k: None)
    settings = IdentifySettings(task="ner", instances=1, steps=8, data_files="shipped", z=8)
    assert len(identify("embedded", "tn", 2, settings, attributions).good) == 2  # Table 1 needs the good side only
    with pytest.raises(UserError, match="tn found no bad neurons for task ner"):
        identify("embedded", "tn", 2, settings, attributions, require_bad=True)


def test_6_a_report_prints_no_number_for_a_condition_that_changed_nothing(tmp_path):
    from neuronllm import report

    obj = json.loads((ROOT / "tests" / "fixtures" / "report" / "embedded-ner-cni-k100.json").read_text())
    obj["conditions"]["deg/both"]["neurons_changed"] = 0
    path = tmp_path / "m.json"
    path.write_text(json.dumps(obj))
    table = report.table1(report.load_metrics([path]))[0]
    assert table.rows[0].cells[0].text == report.MISSING


# 10 --------------------------------------------------------------------------------------------


def lm_eval(*args, cwd):
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    return subprocess.run(
        [str(Path(sys.executable).parent / "lm_eval"), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=env,
        cwd=cwd,
    )


def test_10_lm_eval_as_typed_runs_offline_on_the_shipped_data_and_errors_are_one_line(tmp_path):
    result = lm_eval("--model", "neuronllm", "--tasks", "aqua_ner", "--limit", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-2000:]
    warnings = [line for line in result.stderr.splitlines() if line.startswith("neuronllm: warning")]
    assert len(warnings) == 1 and "shipped data" in warnings[0]
    assert "Traceback" not in result.stderr and "fatal: not a git repository" not in result.stderr
    forced = lm_eval(
        "--model",
        "neuronllm",
        "--tasks",
        "aqua_ner",
        "--limit",
        "1",
        "--metadata",
        '{"data_files": "hub"}',
        cwd=tmp_path,
    )
    assert forced.returncode == 2 and "Traceback" not in forced.stderr
    assert (
        forced.stderr.strip().splitlines()[-1].startswith("neuronllm: error: task ner: cannot load DFKI-SLT/few-nerd")
    )


# 12 --------------------------------------------------------------------------------------------


def test_12_outputs_keep_the_usual_mode_and_json_stays_strict(tmp_path):
    from neuronllm.atomic import write_json

    path = tmp_path / "new.json"
    write_json(path, {"a": 1})
    mask = os.umask(0)
    os.umask(mask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~mask
    path.chmod(0o640)
    write_json(path, {"a": 2})
    assert path.stat().st_mode & 0o777 == 0o640  # the replaced file's mode is kept
    with pytest.raises(ValueError):
        write_json(tmp_path / "nan.json", {"a": float("nan")})
    assert not (tmp_path / "nan.json").exists()


def test_12_evaluation_prints_no_library_noise(tmp_path, tiny_local_model):
    set_path = tmp_path / "set.json"
    NeuronSet([Neuron(1, 2, 1.0)], [Neuron(2, 3, -1.0)], [48] * 3).save(set_path)
    env = dict(os.environ, HF_HUB_OFFLINE="1", HF_DATASETS_OFFLINE="1")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "neuronllm.cli",
            "evaluate",
            "--model",
            tiny_local_model,
            "--task",
            "ner",
            "--data-files",
            "shipped",
            "--instances",
            "4",
            "--eval-instances",
            "2",
            "--conditions",
            "original",
            f"{set_path}:degrade-both",
            "--outs",
            str(tmp_path / "o.json"),
            str(tmp_path / "d.json"),
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )  # cwd: not a git repository
    assert result.returncode == 0, result.stderr[-2000:]
    for noise in (
        "fatal: not a git repository",
        "is not of type `str`",
        "Passed an already-initialized model",
        "Custom kwargs can be passed",
    ):
        assert noise not in result.stderr, noise
