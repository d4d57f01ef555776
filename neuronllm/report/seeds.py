"""Several seeds of one (model, task, method, budget) become one entry: the mean and the spread.

With `seeds: [0, 1, 2]` every seed has its own proxies, identification and evaluation. A table then
shows the mean over seeds of accuracy and comprehension (so RAC/RCC and Fail follow from the means),
and, as the cell's interval, the lowest and highest per-seed signed change: the seed-to-seed spread,
which includes the sampling noise of one run. One seed passes through unchanged. Several seeds carry
no null test (no †); a cell that is an answer shift in any seed is flagged.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import numpy as np

SIGNED = ("rac_signed", "rcc_signed", "gold_prob_signed", "balanced_signed", "balanced_gold_prob_signed")


def _mean(values: list) -> float | None:
    finite = [v for v in values if v is not None]
    return float(np.mean(finite)) if finite else None


def combine_seeds(metrics: list[dict]) -> list[dict]:
    groups: dict[tuple, list[dict]] = defaultdict(list)
    for m in metrics:
        groups[(m["model"], m["task"], m["method"], m["budget"])].append(m)
    out = []
    for ms in groups.values():
        if len(ms) == 1:
            out.append(ms[0])
            continue
        ms = sorted(ms, key=lambda m: m.get("seed", 0))
        combined = dict(ms[0])
        combined["seed"] = ", ".join(str(m.get("seed")) for m in ms)
        combined["seeds"] = len(ms)
        combined["_source"] = ", ".join(m.get("_source", "?") for m in ms)
        combined["original"] = {k: _mean([m["original"].get(k) for m in ms]) for k in ("acc", "comprehension")}
        conditions = {}
        for key in ms[0]["conditions"]:
            entries = [m["conditions"].get(key) for m in ms]
            if any(e is None for e in entries):
                continue
            entry: dict[str, Any] = {k: _mean([e[k] for e in entries]) for k in ("acc", "comprehension")}
            for name in SIGNED:
                values = [e.get(name) for e in entries if e.get(name) is not None]
                if values:
                    entry[name], entry[f"{name}_low"], entry[f"{name}_high"] = (
                        float(np.mean(values)),
                        min(values),
                        max(values),
                    )
            entry["neurons_changed"] = min(e.get("neurons_changed", 1) for e in entries)
            # an answer shift in any seed is flagged (no null test across seeds: the cells carry no †)
            entry["answer_shift"] = {
                m: any((e.get("answer_shift") or {}).get(m) for e in entries)
                for m in ("rac_signed", "rcc_signed", "gold_prob_signed")
            }
            conditions[key] = entry
        combined["conditions"] = conditions
        combined["bias"] = ms[0].get("bias")
        out.append(combined)
    return out
