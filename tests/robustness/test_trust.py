"""Issue 26: every number recomputed from its primary data, every null draw a distinct set of the kind
asked for, every numeric option within its meaningful range, every input with its provenance, and task
YAML strings that cannot run code. One section per class; each test fails on the code before the fix.
Command-line probes of the same classes are in probes.py (tables in docs/robustness.md)."""

import json
import shutil
from pathlib import Path

import pytest
import torch
from evaluations import DIGESTS, SETTINGS, from_correct, method_record, null_evaluation, null_record, prediction
from evaluations import evaluation as build

from neuronllm.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
ORIGINAL = [[True, True, False], [True, True, True], [False, False, True], [True, False, False]] * 2
DEGRADED = [[True, False, False], [True, True, False], [False, False, False], [False, False, False]] * 2


def write(path: Path, obj) -> str:
    path.write_text(json.dumps(obj))
    return str(path)


def metrics(tmp_path, condition, nulls=(), info="{}", matched=(), original=None):
    """`neuronllm metrics` on the given files (objects written to tmp_path), the metrics object back."""
    from neuronllm.analysis.metrics_files import write_metrics

    original_path = write(tmp_path / "original.json", original or build(from_correct(ORIGINAL)))
    condition_path = write(tmp_path / "condition.json", condition)
    null_paths = [write(tmp_path / f"null{n}.json", obj) for n, obj in enumerate(nulls)]
    matched_paths = [write(tmp_path / f"matched{n}.json", obj) for n, obj in enumerate(matched)]
    out = tmp_path / "m.json"
    write_metrics(original_path, [condition_path], str(out), info, null_paths, 100, matched_paths)
    return json.loads(out.read_text())


def degraded():
    return build(from_correct(DEGRADED), "degrade")


# ------------------------------------------------------------------ 1: numbers recomputed, never read from a header


def test_a_valid_evaluation_pair_gives_the_hand_computed_effect(tmp_path):
    entry = metrics(tmp_path, degraded())["conditions"]["deg/both"]
    assert entry["acc"] == pytest.approx(6 / 24) and entry["rac"] == pytest.approx((14 / 24 - 6 / 24) / (14 / 24) * 100)


@pytest.mark.parametrize(
    "edit, message",
    [
        (lambda e: e.update(acc=0.98), "the file says acc = 0.98, its predictions give 0.25"),
        (lambda e: e.update(comprehension=0.0), "the file says comprehension = 0.0"),
        (lambda e: e.update(n_instances=99), "the file says n_instances = 99"),
        (lambda e: [p.update(correct=not p["correct"]) for p in e["predictions"]], "'correct' is"),
        (lambda e: e["predictions"][0].update(prediction=1 - e["predictions"][0]["prediction"]), "highest-scoring"),
        (lambda e: e["predictions"][0].update(scores=[0.0, "high"]), "finite numbers"),
        (lambda e: e["predictions"][0].update(predicted_text="other"), "disagrees with 'correct'"),
        (lambda e: e["predictions"].append(dict(e["predictions"][0])), "listed twice"),
        (lambda e: e.pop("digests"), "records no data digest"),
        (lambda e: e.update(digests=DIGESTS | {"model": None}), "records no model digest"),
    ],
)
def test_a_file_whose_claims_disagree_with_its_data_is_refused(tmp_path, edit, message):
    """An edited `acc` used to become a RAC next to an unchanged accuracy; flipped `correct` flags
    changed the effect but not the accuracy; a file without digests was paired without a word."""
    condition = degraded()
    edit(condition)
    with pytest.raises(UserError, match=message.replace("(", r"\(")):
        metrics(tmp_path, condition)
    assert not (tmp_path / "m.json").exists()


def test_the_original_is_verified_too(tmp_path):
    original = build(from_correct(ORIGINAL)) | {"acc": 1.0}
    with pytest.raises(UserError, match="original.json: the file says acc = 1.0"):
        metrics(tmp_path, degraded(), original=original)


@pytest.mark.parametrize("field", ["conditions", "original", "bias", "format", "model", "digests"])
def test_info_never_replaces_a_computed_field(tmp_path, field):
    with pytest.raises(UserError, match=f"--info '{field}' is a field the metrics compute"):
        metrics(tmp_path, degraded(), info=json.dumps({field: {}}))


def test_info_adds_fields_and_may_repeat_a_computed_value(tmp_path):
    result = metrics(tmp_path, degraded(), info='{"model_label": "tiny", "task": "ner"}')
    assert result["model_label"] == "tiny" and result["task"] == "ner" and "deg/both" in result["conditions"]


def test_the_transfer_report_reads_evaluations_through_the_same_check(tmp_path):
    from neuronllm.analysis.transfer import read_evaluation

    path = write(tmp_path / "e.json", build(from_correct(ORIGINAL)) | {"acc": 0.9})
    with pytest.raises(UserError, match="the file says acc = 0.9"):
        read_evaluation(path)


def test_options_that_all_score_the_same_are_warned_about(tmp_path, capfd):
    """A factor far past the model's scale makes every option -ln|V|: the tie-break answers."""
    tied = [
        p | {"scores": [-10.0, -10.0], "prediction": 0, "correct": True, "predicted_text": "person"}
        for p in from_correct(DEGRADED)
    ]
    metrics(tmp_path, build(tied, "degrade"))
    warnings = [line for line in capfd.readouterr().err.splitlines() if "every option scores the same" in line]
    assert len(warnings) == 1 and "on 24 of 24 proxies" in warnings[0]


# ------------------------------------------------------------------ 2: null draws identified by content


def nulls(count=3, **kwargs):
    return [null_evaluation(from_correct(ORIGINAL), i, **kwargs) for i in range(count)]


def test_distinct_null_draws_form_a_band(tmp_path):
    assert metrics(tmp_path, degraded(), nulls())["conditions"]["deg/both"]["null"]["sets"] == 3


def test_one_null_file_given_several_times_is_refused(tmp_path):
    """It used to be a band of n = 5 with sd 0, a zero-width band that marks everything."""
    one = nulls(1)[0]
    with pytest.raises(UserError, match="the same neuron set .* a band needs distinct null draws"):
        metrics(tmp_path, degraded(), [one] * 5)


def test_a_copy_of_a_null_file_under_another_name_is_refused(tmp_path):
    first = nulls(1)[0]
    copy = json.loads(json.dumps(first)) | {"condition": first["condition"] | {"neurons": "copy_of_null0.json"}}
    with pytest.raises(UserError, match="the same neuron set"):
        metrics(tmp_path, degraded(), [first, copy, nulls(3)[2]])


@pytest.mark.parametrize("method", ["random", "cni"])
def test_a_methods_own_set_is_not_a_null_draw(tmp_path, method):
    """RANDOM with another seed is a method's set, not a null drawn by `neuronllm null`."""
    other = build(from_correct(ORIGINAL), "degrade", neuron_set=method_record(method) | {"digest": "f" * 16})
    with pytest.raises(UserError, match=f"a {method} neuron set, not a null draw"):
        metrics(tmp_path, degraded(), [*nulls(2), other])


def test_uniform_nulls_are_not_activation_matched_ones_and_vice_versa(tmp_path):
    with pytest.raises(UserError, match="a uniform null set given as a matched one"):
        metrics(tmp_path, degraded(), matched=nulls())
    with pytest.raises(UserError, match="a matched null set given as a uniform one"):
        metrics(tmp_path, degraded(), nulls(kind="matched"))


def test_a_matched_null_of_another_set_is_refused(tmp_path):
    draws = nulls(kind="matched")
    for draw in draws:
        draw["neuron_set"]["matched_to"] = "0123456789abcdef"
    with pytest.raises(UserError, match="matched to another neuron set"):
        metrics(tmp_path, degraded(), matched=draws)


@pytest.mark.parametrize(
    "change, message",
    [
        (lambda c: c.update(part="good"), "a null draw of deg/good, and no condition of this call is deg/good"),
        (lambda c: c.update(op="enhance"), "a null draw of enh/both"),
        (lambda c: c.update(factor=0.5), "a null draw of deg/both@0.5"),
        (lambda c: c.update(op="silence"), "a null draw of op 'silence', condition degrade/both is 'degrade'"),
    ],
)
def test_a_null_of_another_condition_is_refused(tmp_path, change, message):
    """It used to be dropped without a word (another op, part or factor)."""
    draws = nulls()
    change(draws[0]["condition"])
    with pytest.raises(UserError, match=message):
        metrics(tmp_path, degraded(), draws)


def test_a_null_of_another_size_is_left_out_with_one_warning_and_recorded(tmp_path, capfd):
    small = null_evaluation(from_correct(ORIGINAL), 7)
    small["neuron_set"] = null_record(7, {"good": 1, "bad": 1})
    entry = metrics(tmp_path, degraded(), [*nulls(3), small])["conditions"]["deg/both"]
    assert entry["null"]["sets"] == 3 and "change 1 good + 1 bad neurons" in entry["null_left_out"]
    assert "null_unavailable" not in entry
    warnings = [line for line in capfd.readouterr().err.splitlines() if "a band needs sets" in line]
    assert len(warnings) == 1 and warnings[0].endswith("the band uses the other 3")


def test_a_null_without_a_neuron_set_record_is_refused(tmp_path):
    draws = nulls()
    draws[1]["neuron_set"] = None
    with pytest.raises(UserError, match="records no neuron set"):
        metrics(tmp_path, degraded(), draws)


# ------------------------------------------------------------------ 3: values that parse but mean nothing


@pytest.mark.parametrize("factor", ["1e30", "1e300", "11", "-0.5", "nan", "inf"])
def test_factors_outside_their_range_are_refused(factor):
    from neuronllm.model.condition import Condition

    with pytest.raises(UserError, match="expected a finite number in 0..10"):
        Condition.parse(f"set.json:excite-good@{factor}")


def base_config(**changes):
    config = {
        "models": {"a": {"spec": "embedded", "label": "tiny"}},
        "tasks": ["ner"],
        "methods": ["cni"],
        "budget": 10,
        "null_sets": 3,
    }
    return config | changes


@pytest.mark.parametrize(
    "config, message",
    [
        (
            base_config(models={"a": {"spec": "x", "label": "m"}, "b": {"spec": "y", "label": "m"}}),
            "models 'a' and 'b' have the same label 'm'",
        ),
        (base_config(models={"a": {"spec": "x"}, "b": {"spec": "x"}}), "have the same label 'x'"),
        (base_config(transfer={"null_sets": 5}), "transfer.null_sets 5 is more than null_sets 3"),
        (base_config(transfer={"sweep_null_sets": 4}), "transfer.sweep_null_sets 4 is more than null_sets 3"),
        (base_config(transfer={"sweep_factors": [0, 2, 1e300]}), "expected a finite number in 0..10"),
        (base_config(bootstrap=1_000_000_000), "bootstrap: 1000000000 is more than 20000"),
        (base_config(bootstrap=10), "bootstrap: 10 is too few"),
        ({"tasks": ["ner"], "methods": ["cni"], "budget": 10}, "no 'models'"),
        ([1, 2], "not a pipeline config"),
    ],
)
def test_the_config_is_held_to_the_same_ranges(config, message):
    from neuronllm.pipeline.config_check import check_numbers

    with pytest.raises(UserError, match=message):
        check_numbers(config)


def test_the_schema_bounds_the_same_numbers():
    import yaml

    schema = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())
    assert schema["properties"]["bootstrap"]["maximum"] == 20_000
    factor = schema["properties"]["transfer"]["properties"]["sweep_factors"]["items"]
    assert factor["maximum"] == 10


def test_two_models_under_one_label_are_refused_by_the_report(tmp_path):
    from neuronllm.analysis.metrics_files import build_metrics
    from neuronllm.report.inputs import load_metrics

    paths = []
    for model in ("model-a", "model-b"):
        original, condition = build(from_correct(ORIGINAL)), degraded()
        original["model"] = condition["model"] = model
        info = {"model_label": "tiny", "method": "cni", "budget": 100}
        paths.append(write(tmp_path / f"{model}.json", build_metrics(original, [condition], info, resamples=50)))
    with pytest.raises(UserError, match="model 'model-b' has the label 'tiny' of model 'model-a'"):
        load_metrics(paths)


@pytest.mark.parametrize("text", ["", "512B", "512", "0GB", "GB", "1e3GB"])
def test_memory_sizes_need_a_unit_and_a_positive_value(text):
    from neuronllm.model.memory import parse_size

    with pytest.raises(UserError, match="memory size"):
        parse_size(text)


def test_a_flag_and_a_model_argument_that_disagree_are_refused():
    from neuronllm.cli.checks import check_model_args_agree

    with pytest.raises(UserError, match="--dtype float32 conflicts with model argument dtype=bfloat16"):
        check_model_args_agree({"dtype": "bfloat16"}, {"dtype": "float32"}, "embedded")
    check_model_args_agree({"dtype": "bfloat16"}, {"dtype": "bfloat16"}, "embedded")
    check_model_args_agree({"dtype": "bfloat16"}, {"dtype": None}, "embedded")


# ------------------------------------------------------------------ 4 and 5: inputs without provenance, tracebacks


def attribution_file(path: Path, **changes):
    obj = {
        "format": "neuronllm.attributions/1",
        "instance_ids": ["identify:1"] * 3,
        "scores": {"contrastive": torch.zeros(3, 2, 4)},
        "provenance": {"digests": {"data": "d" * 32, "task_spec": "t" * 32, "model": "m" * 16}},
    }
    torch.save(obj | changes, path)
    return path


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"provenance": {"model": "embedded"}}, "records no data digest"),
        ({"provenance": {"digests": {"data": None, "task_spec": "t", "model": None}}}, "records no data digest"),
        ({"provenance": ["not", "an", "object"]}, "'provenance' must be an object"),
        ({"instance_ids": [1, 2, 3]}, "'instance_ids' must be a list of texts"),
        ({"scores": {"contrastive": torch.zeros(3, 4)}}, "must be a float tensor"),
        ({"scores": {"contrastive": torch.zeros(2, 2, 4)}}, "2 rows for 3 proxies"),
        ({"scores": {"magic": torch.zeros(3, 2, 4)}}, "unknown attribution kind 'magic'"),
        ({"scores": [1, 2]}, "'scores' must map kinds to tensors"),
    ],
)
def test_malformed_or_unprovenanced_attribution_files_are_one_line_errors(tmp_path, changes, message):
    from neuronllm.attribution.kinds import Attributions

    path = attribution_file(tmp_path / "a.pt", **changes)
    with pytest.raises(UserError, match=message):
        Attributions.load(path)


def test_a_missing_key_in_an_attribution_file_is_one_line(tmp_path):
    from neuronllm.attribution.kinds import Attributions

    path = tmp_path / "a.pt"
    torch.save({"format": "neuronllm.attributions/1", "scores": {}}, path)
    with pytest.raises(UserError, match="'instance_ids' must be a list of texts"):
        Attributions.load(path)


def sentiment_files(tmp_path, validation_rows):
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(ROOT / "data" / "sentiment" / "train.jsonl", data / "train.jsonl")
    (data / "validation.jsonl").write_text("".join(json.dumps(r) + "\n" for r in validation_rows))
    return {"train": str(data / "train.jsonl"), "validation": str(data / "validation.jsonl")}


def test_repeated_data_rows_count_once_with_one_warning(tmp_path, capfd):
    from neuronllm.tasks.data import load_task_data
    from neuronllm.tasks.lm_eval_tasks import find_task

    rows = [{"idx": i, "sentence": f"review number {i} .", "label": i % 2} for i in range(6)]
    repeated = rows + [dict(rows[1], idx=90), dict(rows[2], idx=91)]
    data = load_task_data(find_task("sentiment", "text").spec, data_files=sentiment_files(tmp_path, repeated))
    assert len(data.evaluate) == 6
    warnings = [line for line in capfd.readouterr().err.splitlines() if "repeated question" in line]
    assert len(warnings) == 1 and "2 repeated question(s) left out (rows 7 (= 2), 8 (= 3))" in warnings[0]


def test_a_two_option_multiple_choice_row_yields_no_repeated_proxies(tmp_path, capfd):
    from neuronllm.tasks.aqua import build_split
    from neuronllm.tasks.data import load_task_data
    from neuronllm.tasks.lm_eval_tasks import find_task

    rows = [json.loads(line) for line in (ROOT / "data" / "commonsense" / "validation.jsonl").open()][:5]
    rows[0]["choices"] = {"label": ["A", "B"], "text": ["yes", "no"]}
    rows[0]["answerKey"] = "A"
    data_dir = tmp_path / "cs"
    data_dir.mkdir()
    (data_dir / "validation.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    files = {
        "train": str(ROOT / "data" / "commonsense" / "train.jsonl"),
        "validation": str(data_dir / "validation.jsonl"),
    }
    task = find_task("commonsense", "text")
    data = load_task_data(task.spec, data_files=files)
    proxies = build_split(task.spec, data, "evaluate", 0, "text")
    orders = {}
    for proxy in proxies:
        orders.setdefault(proxy.instance_id, []).append(proxy.options)
    assert all(len(set(o)) == len(o) for o in orders.values())  # no instance poses one order twice
    assert len(data.evaluate) == 4 and "three for a multiple-choice question" in capfd.readouterr().err


class _Segment:
    def __init__(self, tokens):
        self.tokens = tokens


class _Tree:
    def __init__(self, fill: float):
        self.segments = [_Segment([1, 2, 3])]
        self.keys = [torch.full((2, 3), fill)]
        self.values = [torch.full((2, 3), fill + 1)]


class _Loaded:
    fingerprint = "model-fingerprint"


def test_a_tampered_prefix_cache_value_is_a_miss_not_a_score(tmp_path):
    """Stored keys/values used to be trusted: an edited tensor flipped answers with exit 0."""
    from neuronllm.scoring.prefix_cache import PrefixCache

    cache = PrefixCache(_Loaded(), tmp_path)
    cache.store([[1, 2, 3]], _Tree(5.0))
    (path,) = list(tmp_path.iterdir())
    stored = torch.load(path, weights_only=True)
    stored["values"][0][0, 0] = -100.0  # the digest written with them no longer matches
    torch.save(stored, path)
    target = _Tree(0.0)
    assert cache.load([[1, 2, 3]], target) is False and bool((target.values[0] == 1.0).all())
    cache.store([[1, 2, 3]], _Tree(5.0))
    assert cache.load([[1, 2, 3]], target) is True and bool((target.values[0] == 6.0).all())


def test_a_prefix_cache_on_a_full_disk_warns_once_and_goes_on(tmp_path, monkeypatch, capfd):
    from neuronllm.scoring import prefix_cache

    def full(*args, **kwargs):
        raise RuntimeError("[enforce fail at inline_container.cc:595] . PytorchStreamWriter failed writing file")

    monkeypatch.setattr(prefix_cache.torch, "save", full)
    cache = prefix_cache.PrefixCache(_Loaded(), tmp_path)
    cache.store([[1, 2, 3]], _Tree(5.0))
    cache.store([[4, 5]], _Tree(5.0))
    assert list(tmp_path.iterdir()) == []
    warnings = [line for line in capfd.readouterr().err.splitlines() if "cannot store a prefix tree" in line]
    assert len(warnings) == 1


# ------------------------------------------------------------------ 6: task YAML strings are data, not code


def test_a_task_role_cannot_run_a_command(tmp_path):
    from neuronllm.tasks.lm_eval_tasks import find_task

    marker = tmp_path / "ran"
    spec = (ROOT / "tests" / "fixtures" / "task_specs" / "bad_role_undefined.yaml").read_text()
    payload = "{{ cycler.__init__.__globals__.os.popen('touch " + str(marker) + "').read() }}"
    spec = spec.replace("bad_role_undefined", "role_code").replace("You label {{ classes }}.", json.dumps(payload))
    (tmp_path / "role_code.yaml").write_text(spec)
    with pytest.raises(UserError, match="spec.role: SecurityError"):
        find_task("role_code", "text", include_path=tmp_path)
    assert not marker.exists()


def test_settings_helper_matches_the_writer():
    """tests/evaluations.py writes what `evaluate` writes: its numbers come from the writer's summary."""
    from neuronllm.analysis.evaluation_file import verified

    made = build(from_correct(ORIGINAL), settings=SETTINGS)
    assert verified(made, "made", original=True)["acc"] == pytest.approx(14 / 24)
    assert prediction(0, 0, ["a", "b"], "a", "b")["correct"] is False
