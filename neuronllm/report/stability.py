"""results/stability.md (+ .tex, .png, a tidy .csv): are the sets a property of the task? (issue 28)

Reads the set comparisons (neuronllm/analysis/stability.py, one CSV per model and seed) and the
evaluations of every evaluated set against the main job's original and null sets, as Table 1 computes
its cells (neuronllm.analysis.metrics_files.build_metrics): the signed RAC of Deg and Enh with its
bootstrap interval and the null band. Definitions: docs/metrics.md "Stability".
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from neuronllm.analysis.stability import COLUMNS
from neuronllm.report.cells import Cell, Row, Table

EFFECT_COLUMNS = (*COLUMNS, "label", "part", "null_low", "null_high", "passes")
STATISTIC_TITLES = {
    "jaccard": "Jaccard overlap",
    "share_in_half": "share of the set found in at least half of the samples",
    "spearman": "Spearman rank correlation of the rankings",
}


def effect_rows(plan_config: dict[str, Any], resamples: int) -> list[dict[str, Any]]:
    """Each evaluated set's Deg and Enh (signed RAC, %) with interval and null band, as Table 1's cells."""
    from neuronllm.analysis.metrics_files import build_metrics, check_evaluation, condition_key
    from neuronllm.atomic import read_json
    from neuronllm.pipeline.plan import MAIN_OPS, Plan
    from neuronllm.pipeline.stability_plan import StabilityPlan

    stability = StabilityPlan(Plan(plan_config))
    if not stability.config["evaluate"]:
        return []
    settings = stability.settings()
    model, seed = stability.model, stability.seed
    sizes = {f"sample{s}": settings.instances for s in range(settings.samples)}
    sizes |= {f"n{size}": size for size in settings.sizes} | {"reference": settings.reference}
    rows: list[dict[str, Any]] = []
    for task in stability.tasks:
        main = stability.main_evaluations(model, seed, task)
        original = read_json(main["original"][0], "evaluation")
        check_evaluation(original, main["original"][0], original=True)
        nulls = [read_json(path, "evaluation") for path in main["null"]]
        for method in settings.methods:
            for label in settings.labels():
                paths = [
                    stability.evaluation(method, label, op, part, model, seed, task)
                    for part in stability.parts(method)
                    for op in MAIN_OPS
                ]
                evaluations = [read_json(path, "evaluation") for path in paths]
                keys = {condition_key(e) for e in evaluations}
                metrics = build_metrics(
                    original, evaluations, {}, [n for n in nulls if condition_key(n) in keys], resamples
                )
                for key, entry in metrics["conditions"].items():
                    direction, part = key.split("/")
                    band = (entry.get("null") or {}).get("rac_signed") or {}
                    rows.append(
                        {
                            "model": model,
                            "seed": seed,
                            "task": task,
                            "method": method,
                            "side": part,
                            "comparison": "effect",
                            "versus": "original",
                            "instances": sizes[label],
                            "statistic": direction,
                            "value": entry.get("rac_signed"),
                            "low": entry.get("rac_signed_low"),
                            "high": entry.get("rac_signed_high"),
                            "pairs": 1,
                            "random": band.get("mean"),
                            "label": label,
                            "part": part,
                            "null_low": band.get("low"),
                            "null_high": band.get("high"),
                            "passes": band.get("passes"),
                        }
                    )
    return rows


def _number(value: Any, decimals: int = 2) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    return f"{float(value):.{decimals}f}"


def _range_cell(frame: Any, decimals: int = 2) -> Cell:
    """Mean [low, high] of one row of the comparisons."""
    if frame.empty:
        return Cell("–")
    row = frame.iloc[0]
    return Cell(
        _number(row["value"], decimals), detail=f"[{_number(row['low'], decimals)}, {_number(row['high'], decimals)}]"
    )


def overlap_tables(sets: Any, tasks: list[str], methods: list[str]) -> list[Table]:
    """One table per statistic of the sample comparison, then the steps and format comparisons, then the
    data-size curve (Jaccard with the reference)."""
    from neuronllm.methods import label

    tables = []
    samples = sets[sets["comparison"] == "samples"]
    for statistic, title in STATISTIC_TITLES.items():
        chosen = samples[samples["statistic"] == statistic]
        if chosen.empty:
            continue
        versus = chosen["versus"].iloc[0]
        table = Table(
            f"Set stability: {title}",
            f"{versus} of {int(chosen['instances'].iloc[0])} identification instances per task; mean over "
            f"{'sample pairs' if statistic != 'share_in_half' else 'samples'} [lowest, highest]; last column: "
            f"the expectation for uniformly random sets of the same sizes (mean over tasks)",
            ["Method", "Side"],
            [("", tasks + ["random sets"])],
            rank=False,
        )
        for method in methods:
            for side in ("good", "bad"):
                cells = [_range_cell(chosen[(chosen.task == t) & (chosen.method == method) & (chosen.side == side)])
                         for t in tasks]  # fmt: skip
                expected = chosen[(chosen.method == method) & (chosen.side == side)]["random"]
                cells.append(Cell(_number(expected.mean(), 3) if len(expected) else "–"))
                table.rows.append(Row([label(method), side], cells))
        tables.append(table)
    for comparison in ("steps", "format"):
        chosen = sets[(sets["comparison"] == comparison)]
        if chosen.empty:
            continue
        versus = chosen["versus"].iloc[0]
        table = Table(
            f"Set stability: {versus}",
            f"the same instances identified both ways, {int(chosen['instances'].iloc[0])} per sample; Jaccard and "
            "Spearman's ρ, mean over samples [lowest, highest]",
            ["Method", "Side", "Statistic"],
            [("", tasks)],
            rank=False,
        )
        for method in methods:
            for side in ("good", "bad"):
                for statistic in ("jaccard", "spearman"):
                    pick = chosen[(chosen.method == method) & (chosen.side == side) & (chosen.statistic == statistic)]
                    table.rows.append(
                        Row([label(method), side, statistic], [_range_cell(pick[pick.task == t]) for t in tasks])
                    )
        tables.append(table)
    size = sets[(sets["comparison"] == "size") & (sets["statistic"] == "jaccard")]
    if not size.empty:
        table = Table(
            "How much data: overlap with a large-sample reference",
            f"Jaccard of the top-K set from n instances with the set from the {size['versus'].iloc[0]} (disjoint "
            "instances); mean over the disjoint blocks of n instances [lowest, highest]; random sets in parentheses",
            ["Method", "Side", "n"],
            [("", tasks)],
            rank=False,
        )
        for method in methods:
            for side in ("good", "bad"):
                for n in sorted(size["instances"].unique()):
                    cells = []
                    for t in tasks:
                        pick = size[
                            (size.task == t) & (size.method == method) & (size.side == side) & (size.instances == n)
                        ]
                        cell = _range_cell(pick)
                        if not pick.empty:
                            cell.detail += f" ({_number(pick['random'].iloc[0], 3)})"
                        cells.append(cell)
                    table.rows.append(Row([label(method), side, str(n)], cells))
        tables.append(table)
    return tables


def effect_tables(effects: Any, tasks: list[str], methods: list[str]) -> list[Table]:
    """Effect stability (each sample's set, as Table 1) and the effect against the number of instances."""
    from neuronllm.methods import label

    if effects.empty:
        return []
    tables = []
    samples = effects[effects["label"].str.startswith("sample")]
    count = samples["label"].nunique()
    table = Table(
        "Effect stability: each sample's set evaluated as Table 1",
        f"signed RAC (%) of Deg and Enh on the main evaluation instances; mean over the {count} samples "
        "[lowest, highest], then how many samples' cells lie above the null band (the main null sets, same part)",
        ["Method", "Part"],
        [(t, ["Deg", "Enh"]) for t in tasks],
        rank=False,
    )
    for method in methods:
        for part in sorted(samples[samples.method == method]["part"].unique(), key=lambda p: p != "both"):
            cells = []
            for t in tasks:
                for direction in ("deg", "enh"):
                    pick = samples[(samples.task == t) & (samples.method == method) & (samples.part == part)
                                   & (samples.statistic == direction)]  # fmt: skip
                    if pick.empty:
                        cells.append(Cell("–"))
                        continue
                    values = pick["value"].astype(float)
                    above = int((values > pick["null_high"].astype(float)).sum())
                    cells.append(
                        Cell(
                            _number(values.mean(), 1),
                            detail=f"[{_number(values.min(), 1)}, {_number(values.max(), 1)}] {above}/{len(pick)}",
                        )
                    )
            table.rows.append(Row([label(method), part], cells))
    notes = []
    for t in tasks:
        for direction in ("deg", "enh"):
            mine = samples[(samples.task == t) & (samples.method == "cni") & (samples.part == "good")
                           & (samples.statistic == direction)].set_index("label")["value"]  # fmt: skip
            for rival in [m for m in methods if m != "cni"]:
                theirs = samples[(samples.task == t) & (samples.method == rival) & (samples.part == "good")
                                 & (samples.statistic == direction)].set_index("label")["value"]  # fmt: skip
                shared = mine.index.intersection(theirs.index)
                if len(shared):
                    wins = int((mine[shared].astype(float) > theirs[shared].astype(float)).sum())
                    notes.append(f"{t} {direction}: NeuronLLM (good side, K) > {label(rival)} in {wins}/{len(shared)}")
    table.notes = ["Same-sample comparisons at equal budget: " + "; ".join(notes) + "."] if notes else []
    tables.append(table)
    sized = effects[effects["label"].str.startswith("n") | (effects["label"] == "reference")]
    if not sized.empty:
        table = Table(
            "How much data: the Table 1 effect against the number of identification instances",
            "signed RAC (%) of the set identified from the first n instances (the reference: its own instances) "
            "[bootstrap interval]; null band in the Null row of Table 1",
            ["Method", "Part", "n"],
            [(t, ["Deg", "Enh"]) for t in tasks],
            rank=False,
        )
        for method in methods:
            mine = sized[sized.method == method]
            # each size's set, then the reference (its size may equal a size's: rows are keyed by label)
            labels = sorted(set(mine["label"]) - {"reference"}, key=lambda name: int(name[1:]))
            labels += ["reference"] if "reference" in set(mine["label"]) else []
            for part in sorted(mine["part"].unique(), key=lambda p: p != "both"):
                for set_label in labels:
                    cells = []
                    for t in tasks:
                        for direction in ("deg", "enh"):
                            pick = mine[(mine.task == t) & (mine.part == part) & (mine.statistic == direction)
                                        & (mine.label == set_label)]  # fmt: skip
                            cells.append(_range_cell(pick, 1))
                    size = int(mine[mine.label == set_label]["instances"].iloc[0])
                    shown = f"{size} (reference)" if set_label == "reference" else str(size)
                    table.rows.append(Row([label(method), part, shown], cells))
        tables.append(table)
    return tables


def figure(sets: Any, effects: Any, png: str) -> None:
    """Left: Jaccard with the reference against n (good side, mean over tasks), random sets dashed.
    Right: each sample's Deg (signed RAC) per method and task."""
    from matplotlib.figure import Figure

    from neuronllm.methods import label

    fig = Figure(figsize=(10, 4), layout="constrained")
    left, right = fig.subplots(1, 2)
    size = sets[(sets["comparison"] == "size") & (sets["statistic"] == "jaccard") & (sets["side"] == "good")]
    for method, group in size.groupby("method", sort=False):
        curve = group.groupby("instances")[["value", "random"]].mean()
        line = left.plot(curve.index, curve["value"], marker="o", label=label(str(method)))[0]
        left.plot(curve.index, curve["random"], linestyle="--", color=line.get_color(), alpha=0.5)
    left.set(xlabel="identification instances n", ylabel="Jaccard with the reference (good)", xscale="log")
    left.legend(fontsize=8)
    if not effects.empty:
        samples = effects[effects["label"].str.startswith("sample") & (effects["statistic"] == "deg")
                          & (effects["part"] == "good")]  # fmt: skip
        tasks = list(dict.fromkeys(samples["task"]))
        methods = list(dict.fromkeys(samples["method"]))
        width = 0.8 / max(len(methods), 1)
        for m, method in enumerate(methods):
            for t, task in enumerate(tasks):
                values = samples[(samples.task == task) & (samples.method == method)]["value"].astype(float)
                right.scatter([t + m * width] * len(values), values, s=12,
                              label=label(method) if t == 0 else None, color=f"C{m}")  # fmt: skip
        right.set_xticks([t + 0.4 - width / 2 for t in range(len(tasks))], tasks)
        right.set(ylabel="Deg, signed RAC % (good side, K)", title="each sample's set")
        right.legend(fontsize=8)
    fig.savefig(png, dpi=150)


def write_stability(plan_json: str, out: str, latex: str, png: str, csv: str, resamples: int = 2000) -> None:
    import pandas as pd

    from neuronllm.atomic import atomic_path
    from neuronllm.pipeline.plan import Plan
    from neuronllm.pipeline.stability_plan import StabilityPlan
    from neuronllm.report.render import to_latex, to_markdown

    config = json.loads(plan_json)
    stability = StabilityPlan(Plan(config))
    sets = pd.read_csv(stability.sets_csv(stability.model, stability.seed))
    effects = pd.DataFrame(effect_rows(config, resamples), columns=list(EFFECT_COLUMNS))
    tasks, methods = stability.tasks, list(stability.settings().methods)
    tables = overlap_tables(sets, tasks, methods) + effect_tables(effects, tasks, methods)
    header = (
        f"# Are the sets a property of the task?\n\nModel {stability.model}, seed {stability.seed}, K = "
        f'{stability.plan.budget}. Definitions: docs/metrics.md "Stability"; the tidy rows: {Path(csv).name}.\n\n'
    )
    for path, text in ((out, header + to_markdown(tables)), (latex, to_latex(tables))):
        with atomic_path(path) as tmp:
            tmp.write_text(text, encoding="utf-8")
    with atomic_path(csv) as tmp:
        pd.concat([sets.reindex(columns=list(EFFECT_COLUMNS)), effects]).to_csv(tmp, index=False)
    with atomic_path(png) as tmp:
        figure(sets, effects, str(tmp) + ".png")
        Path(str(tmp) + ".png").replace(tmp)
