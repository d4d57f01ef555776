"""What the table builders read from metrics files: effects (recomputed, with their stored intervals and
null comparison), averages, budgets and tasks picked, the caption, the null band, number formatting."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from neuronllm.analysis.metrics import average_effect, effect
from neuronllm.errors import UserError
from neuronllm.report.table_kinds import DEFAULT_BUDGET, column_headers


def ordered(values: Iterable[str], order: Iterable[str]) -> list[str]:
    """Known names in the given order, then any others sorted."""
    present = set(values)
    known = [v for v in order if v in present]
    return known + sorted(present - set(known))


STORED_STATISTICS = (
    "rac_signed",
    "rcc_signed",
    "gold_prob_signed",
    "acc_delta",
    "com_delta",
    "gold_prob_delta",
    "balanced_signed",
    "balanced_gold_prob_signed",
    "answer_tv",
    "top_answer_share_delta",
)
TABLE1_MEASURES = ("rac_signed", "rcc_signed")


def tests_of(stored: dict, measures: tuple[str, ...]) -> dict[str, dict]:
    """Per measure: the p-value against the null (neuronllm/analysis/evidence.py; None without null sets) and the
    answer-shift flag, as the table's BH step reads them."""
    null = stored.get("null") or {}
    shift = stored.get("answer_shift") or {}
    return {
        m: {
            "p": (null.get(m) or {}).get("p"),
            "passes": (null.get(m) or {}).get("passes"),
            "answer_shift": bool(shift.get(m)),
        }
        for m in measures
    }


def effect_of(m: dict | None, condition: str) -> dict | None:
    """The effect of a condition, recomputed from acc/comprehension (metrics.effect), with the stored
    intervals and null comparison; None (printed "–") when absent or when it changed no neuron."""
    if m is None or condition not in m["conditions"] or m["conditions"][condition].get("neurons_changed") == 0:
        return None
    stored = m["conditions"][condition]
    value = effect(m["original"], stored, condition.split("/")[0])
    for name in STORED_STATISTICS:
        for suffix in ("", "_low", "_high"):
            if f"{name}{suffix}" in stored:
                value[f"{name}{suffix}"] = stored[f"{name}{suffix}"]
    if "mcnemar_p" in stored:
        value["mcnemar_p"] = stored["mcnemar_p"]
    value["tests"] = tests_of(stored, TABLE1_MEASURES)
    value["answer_shift"] = dict(stored.get("answer_shift") or {})
    null = stored.get("null")
    if null:
        value["null"] = null
    matched = stored.get("null_matched")
    if matched:
        value["outside_matched"] = bool((matched.get("outside") or {}).get("rac_signed"))
    return value


def average_of(values: list[dict | None], direction: str) -> dict | None:
    """Average over the table's tasks; "–" when any task is missing, so averages stay comparable across
    rows. It says how many of its cells are Fail."""
    if not values or any(v is None for v in values):
        return None
    present = [v for v in values if v is not None]  # all of them (checked above)
    average = average_effect(present, direction)
    return average | {"fails": sum(bool(v["fail"]) for v in present)}


def paper_model(model_id: str, paper: dict) -> str | None:
    for name, hf_id in paper["hf_ids"].items():
        if hf_id.lower() == model_id.lower():
            return name
    return None


def dig(tree: Any, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        if not isinstance(tree, dict) or key not in tree:
            return None
        tree = tree[key]
    return tree if isinstance(tree, str) else None


def pick_budget(metrics: list[dict], budget: int | None, what: str) -> int:
    budgets = sorted({m["budget"] for m in metrics})
    if budget is not None:
        if budget not in budgets:
            raise UserError(f"no {what} metrics with budget {budget}: the files have budgets {budgets}")
        return budget
    if len(budgets) == 1:
        return budgets[0]
    if DEFAULT_BUDGET in budgets:
        return DEFAULT_BUDGET
    raise UserError(f"{what} metrics have budgets {budgets}: choose one (budget=...)")


def pick_task(metrics: list[dict], task: str | None, what: str) -> str:
    tasks = sorted({m["task"] for m in metrics})
    if task is None:
        if "commonsense" in tasks or len(tasks) == 1:
            return "commonsense" if "commonsense" in tasks else tasks[0]
        raise UserError(f"{what} needs one task: the metrics have {tasks} (choose one with task=...)")
    if task not in tasks:
        hint = difflib.get_close_matches(task, tasks, n=1)
        raise UserError(
            f"no {what} metrics for task {task!r}: have {tasks}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
        )
    return task


def _values(metrics: list[dict], key: str) -> str:
    found = sorted({str(m[key]) for m in metrics if m.get(key) is not None})
    return ", ".join(found) if found else "n/a"


def model_label(metrics: list[dict]) -> str:
    """The model's display name (its id when the files carry no model_label)."""
    labels = _values(metrics, "model_label")
    return labels if labels != "n/a" else _values(metrics, "model")


def _sizes(metrics: list[dict], tasks: list[str]) -> str:
    """ "90", or per task where they differ: "ner 98, sentiment 92"."""
    per_task = {t: _values([m for m in metrics if m["task"] == t], "eval_instances") for t in tasks}
    per_task = {t: v for t, v in per_task.items() if v != "n/a"}
    if len(set(per_task.values())) <= 1:
        return _values(metrics, "eval_instances")
    return ", ".join(f"{column_headers().get(t, t)} {v}" for t, v in per_task.items())


def caption(metrics: list[dict], tasks: list[str], config: str | Path | None = None) -> str:
    """What produced a table: model, answer format, data, instances, seed, steps, budgets, config, and the
    unintervened Acc/Com per task (the baseline every RAC/RCC is relative to)."""
    parts = [
        f"Model: {model_label(metrics)} [{_values(metrics, 'model')}]",
        f"answer format: {_values(metrics, 'answer_format')}",
        f"data: {_values(metrics, 'data')}",
        f"eval instances: {_sizes(metrics, tasks)}",
        f"seed: {_values(metrics, 'seed')}",
        f"steps: {_values(metrics, 'steps')}",
        f"budget K: {', '.join(str(b) for b in sorted({m['budget'] for m in metrics}))}",
    ]
    if config is not None:
        parts.append(f"config: {Path(config).name}")
    originals = []
    for task in tasks:
        pairs = sorted(
            {
                f"{100 * m['original']['acc']:.1f}/{100 * m['original']['comprehension']:.1f}"
                for m in metrics
                if m["task"] == task
            }
        )
        if pairs:
            originals.append(f"{column_headers().get(task, task)} {' or '.join(pairs)}")
    parts.append("original (unintervened) Acc/Com %: " + ", ".join(originals))
    return "; ".join(parts) + "."


def null_band_of(ms: list[dict], column: Any, condition: str, per_budget: bool) -> dict | None:
    """The null band stored with any metrics file of this column and condition (they share the nulls)."""
    for m in ms:
        if (m["budget"] if per_budget else m["task"]) != column:
            continue
        null = (m["conditions"].get(condition) or {}).get("null")
        if null and null.get("rac_signed", {}).get("mean") is not None:
            return null
    return None


def number(value: float, decimals: int, signed: bool = False) -> str:
    """A rounded number without "-0"."""
    rounded = round(value, decimals) + 0.0
    return f"{rounded:+.{decimals}f}" if signed else f"{rounded:.{decimals}f}"


def band_text(band: dict, decimals: int = 0) -> str:
    """ "mean [low, high]" of a null band (its 95% prediction interval; "?" where n < 2)."""
    bounds = ("?" if band.get(k) is None else number(band[k], decimals) for k in ("low", "high"))
    return f"{number(band['mean'], 1)} [{', '.join(bounds)}]"
