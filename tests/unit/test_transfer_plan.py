"""The transfer plan (every file the report reads is written by a job; the sweep reuses the main job's
files and never collides with them) and the transfer statistics (the proxy column is Table 1's number;
the share is computed on joint resamples)."""

import random

import numpy as np
import pytest
import yaml

from neuronllm.pipeline.plan import Plan
from neuronllm.pipeline.transfer_plan import TransferPlan, sweep_condition

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]


@pytest.fixture(params=["config/config.yaml", "config/ci.yaml"])
def transfer_plan(request):
    return TransferPlan(Plan(yaml.safe_load((ROOT / request.param).read_text())))


def test_every_file_the_report_reads_is_written_by_one_job(transfer_plan):
    plan = transfer_plan.plan
    main = plan.main_job()
    for model in plan.models:
        for seed in plan.seeds:
            for task in plan.tasks:
                fill = dict(model=model, seed=seed, task=task)
                main_outputs = {o.format(**fill) for o in main.outputs}
                produced = [o.format(**fill) for job in transfer_plan.jobs().values() for o in job.outputs]
                assert len(produced) == len(set(produced)), "two transfer jobs write one file"
                assert not main_outputs & set(produced), "a transfer job writes a main-job file"
                other = {
                    o.format(**fill)
                    for group in (plan.ablation_job(), plan.common_job(), plan.table7_job())
                    for o in group.outputs
                }
                assert not other & set(produced), "a transfer job writes another job's file"
                needed = {p for p in transfer_plan.report_inputs(model, seed) if f"/{task}/" in p}
                assert needed <= main_outputs | set(produced)


def test_sweep_points_are_the_paper_operators_where_they_coincide():
    assert sweep_condition("good", 0) == ("degrade", "good", 2.0)
    assert sweep_condition("good", 2) == ("enhance", "good", 2.0)
    assert sweep_condition("bad", 0) == ("enhance", "bad", 2.0)
    assert sweep_condition("bad", 2) == ("degrade", "bad", 2.0)
    assert sweep_condition("bad", 0.5) == ("excite", "bad", 0.5)
    assert sweep_condition("good", 1) is None


def test_sweep_reuses_the_main_job_and_keys_paths_by_factor(transfer_plan):
    main = set(transfer_plan.plan.main_job().outputs)
    text = transfer_plan.main_format
    good_zero = transfer_plan.evaluation(text, f"cni/k{transfer_plan.plan.budget}", "degrade", "good")
    assert good_zero in main
    half = transfer_plan.evaluation(text, f"cni/k{transfer_plan.plan.budget}", "excite", "good", 0.5)
    assert half.endswith("excite-good-x0.5/eval.json") and "/transfer/" in half
    specs = [c for job in transfer_plan.jobs().values() for c in job.conditions]
    assert any(c.endswith("excite-good@0.5") for c in specs) or 0.5 not in transfer_plan.factors


def _evaluation(correct: list[list[bool]], task: str = "t") -> dict:
    predictions = []
    for i, row in enumerate(correct):
        for proxy, right in enumerate(row):
            gold = i % 2
            predictions.append(
                {
                    "instance_id": f"evaluate:{i}",
                    "proxy": proxy,
                    "gold": gold,
                    "prediction": gold if right else 1 - gold,
                    "correct": right,
                    "scores": [0.0, 1.0] if (gold if right else 1 - gold) else [1.0, 0.0],
                    "gold_text": ["no", "yes"][gold],
                    "predicted_text": ["no", "yes"][gold if right else 1 - gold],
                }
            )
    n = len(correct)
    acc = float(np.mean(correct))
    return {
        "task": task,
        "condition": {"neurons": None, "op": "degrade", "part": "both", "label": "original"},
        "settings": {"task": task},
        "acc": acc,
        "comprehension": float(np.mean([sum(r) >= 2 for r in correct])),
        "predictions": predictions,
        "n_instances": n,
    }


def test_the_proxy_column_is_table_1s_number():
    from neuronllm.analysis.metrics_files import condition_entry
    from neuronllm.analysis.transfer import cell

    rng = random.Random(0)
    original = _evaluation([[rng.random() < 0.4 for _ in range(3)] for _ in range(30)])
    enhanced = _evaluation([[rng.random() < 0.6 for _ in range(3)] for _ in range(30)])
    enhanced["condition"] = {"neurons": "s.json", "op": "enhance", "part": "both", "label": "enhance/both"}
    table1 = condition_entry(original, enhanced, 300, 0)
    ours = cell(original, enhanced, [], "enh", 300, 0)
    for key in ("rac_signed", "rac_signed_low", "rac_signed_high"):
        assert ours[key] == pytest.approx(table1[key])


def test_share_is_computed_on_joint_resamples_and_needs_a_proxy_effect():
    from neuronllm.analysis.transfer import effect, share

    rng = random.Random(1)
    n = 40
    proxy_before = _evaluation([[rng.random() < 0.3 for _ in range(3)] for _ in range(n)])
    proxy_after = _evaluation(
        [
            [True, True, True] if i % 2 else row
            for i, row in enumerate(
                [[p["correct"] for p in proxy_before["predictions"][3 * i : 3 * i + 3]] for i in range(n)]
            )
        ]
    )
    native_before = _evaluation([[i % 3 == 0] for i in range(n)])
    native_after = _evaluation([[i % 3 == 0 or i % 4 == 1] for i in range(n)])
    a = effect(proxy_before, proxy_after, "enh", 200, 0)
    b = effect(native_before, native_after, "enh", 200, 0)
    result = share(a, b)
    assert result["value"] == pytest.approx(b["rac_signed"] / a["rac_signed"])
    ratios = b["_draws"]["rac_signed"][1:] / a["_draws"]["rac_signed"][1:]
    assert result["low"] == pytest.approx(np.percentile(ratios[np.isfinite(ratios)], 2.5))
    none = share(b | {"rac_signed_low": -1.0}, a)
    assert none["value"] is None and "no proxy effect" in none["reason"]


@pytest.mark.parametrize("name", ["config/config.yaml", "config/ci.yaml", "config/paper.yaml"])
def test_the_report_config_rebuilds_the_same_transfer_plan(name):
    """`report transfer --plan` gets report_config(config) (workflow/rules/transfer.smk): the transfer plan
    rebuilt from it has the same jobs and reads the same files as the one built from the whole config."""
    from neuronllm.pipeline.transfer_plan import report_config

    config = yaml.safe_load((ROOT / name).read_text())
    config.setdefault("null_sets", 2)
    full, rebuilt = TransferPlan(Plan(config)), TransferPlan(Plan(report_config(config)))
    assert {f: (j.conditions, j.outputs, j.sets) for f, j in full.jobs().items()} == {
        f: (j.conditions, j.outputs, j.sets) for f, j in rebuilt.jobs().items()
    }
    for model in full.plan.models:
        for seed in full.plan.seeds:
            assert full.report_inputs(model, seed) == rebuilt.report_inputs(model, seed)
            for task in full.plan.tasks:
                for fmt in full.formats:
                    assert full.plan.task_inputs(task, fmt) == rebuilt.plan.task_inputs(task, fmt)
