"""Are the sets a property of the task? The stability study's overlap arithmetic and set comparisons
(issue 28; definitions in docs/metrics.md "Stability").

Identification samples are disjoint blocks of consecutive instances of one attribution file computed on
a pool of instances (`pool_blocks`): per-proxy scores do not depend on the other proxies, so the
proxies of instances [s·n, (s+1)·n) of the pool are those an identification on that block computes.
Selection (the methods' `select`) then runs on each block, which costs no forward or backward pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from neuronllm.analysis.overlap import (  # noqa: F401 - the study's arithmetic, imported from here too
    Key,
    expected_random_jaccard,
    expected_random_share_in_half,
    half_of,
    jaccard,
    pairs,
    rank_correlation,
    share_in_half,
    summary,
)
from neuronllm.attribution.kinds import Attributions
from neuronllm.errors import UserError

SIDES = ("good", "bad")


def pool_blocks(attributions: Attributions, size: int, count: int, start: int = 0) -> list[list[str]]:
    """`count` disjoint blocks of `size` consecutive instances (in split order) from instance `start` on."""
    instances = list(attributions.by_instance())
    needed = start + size * count
    if size < 1 or needed > len(instances):
        raise UserError(
            f"{count} sample(s) of {size} instance(s) from instance {start} need {needed} identification instances; "
            f"the attribution pool of task {attributions.provenance.get('task', '?')} has {len(instances)}"
        )
    return [instances[start + i * size : start + (i + 1) * size] for i in range(count)]


def subset(attributions: Attributions, instances: Sequence[str]) -> Attributions:
    """The proxies of these instances: the attributions an identification on them alone computes."""
    groups = attributions.by_instance()
    rows = [row for instance in instances for row in groups[instance]]
    index = np.asarray(rows)
    return Attributions(
        [attributions.instance_ids[r] for r in rows],
        {kind: scores[index] for kind, scores in attributions.scores.items()},
        dict(attributions.provenance) | {"sample": list(instances)},
    )


@dataclass
class Identified:
    """One method's sets on one sample: the top-K sides and the long rankings the rank correlation reads."""

    good: list[Key]
    bad: list[Key]
    ranked: dict[str, list[Key]] = field(default_factory=dict)
    scores: dict[str, list[tuple[int, int, float]]] = field(default_factory=dict)


def identify_sample(
    method: str,
    pools: dict[str, Attributions],
    task: str,
    block: int,
    size: int,
    budget: int,
    seed: int = 0,
    z: int = 1000,
    start: int = 0,
    variant: str = "pool",
) -> Identified:
    """`method`'s sets for `task` on sample `block` (instances start + block·size ... of every pool; a
    contrast method's other tasks use the same positions of their own pools). A method that reads no
    data (RANDOM) gets a seed of its own per sample and variant, so its sets are independent uniform
    draws: the measured counterpart of the random references (with one seed they would all be equal)."""
    from neuronllm.methods import get_method
    from neuronllm.tasks.adapters import stable_seed

    chosen = get_method(method)
    if not chosen.needs:
        seed = stable_seed(seed, "stability", variant, task, start, size, block)

    def sample(name: str) -> Attributions:
        return subset(pools[name], pool_blocks(pools[name], size, block + 1, start)[block])

    own = sample(task)
    options: dict[str, Any] = {"z": z, "neuron_counts": own.neuron_counts}
    if chosen.other_tasks:
        options["others"] = [sample(other) for other in pools if other != task]
    good, bad = chosen.select(own, budget, seed=seed, **options)
    long_good, long_bad = chosen.select(own, sum(own.neuron_counts) // 2, seed=seed, **options)
    return Identified(
        [(layer, index) for layer, index, _ in good],
        [(layer, index) for layer, index, _ in bad],
        {
            "good": [(layer, index) for layer, index, _ in long_good],
            "bad": [(layer, index) for layer, index, _ in long_bad],
        },
        {"good": good, "bad": bad},
    )


def side(identified: Identified, name: str) -> list[Key]:
    return identified.good if name == "good" else identified.bad


def compare(
    first: Sequence[Identified],
    second: Sequence[Identified],
    neuron_counts: Sequence[int],
    matched: Callable[[int], list[tuple[int, int]]],
) -> dict[str, dict[str, dict[str, float | int]]]:
    """{side: {statistic: summary}} of Jaccard and rank correlation over the index pairs `matched(len)`
    (pairs of samples of one list, or sample i of `first` against sample i of `second`)."""
    out: dict[str, dict[str, dict[str, float | int]]] = {}
    for name in SIDES:
        index_pairs = matched(len(first))
        out[name] = {
            "jaccard": summary([jaccard(side(first[i], name), side(second[j], name)) for i, j in index_pairs]),
            "spearman": summary(
                [rank_correlation(first[i].ranked[name], second[j].ranked[name], neuron_counts) for i, j in index_pairs]
            ),
        }
    return out


# -- the study -------------------------------------------------------------------------------------------------

COLUMNS = (
    "model",
    "seed",
    "task",
    "method",
    "side",
    "comparison",
    "versus",
    "instances",
    "statistic",
    "value",
    "low",
    "high",
    "pairs",
    "random",
)


@dataclass(frozen=True)
class StudySettings:
    """The `stability:` config keys (docs/pipeline.md) that the set comparisons read."""

    methods: tuple[str, ...]
    samples: int  # S disjoint identification samples
    instances: int  # n instances per sample
    sizes: tuple[int, ...]  # the data-size curve
    reference: int  # instances of the large-sample reference, after the sizes' instances
    compare_samples: int  # samples also identified with the other steps and the other answer format
    budget: int
    z: int = 1000
    seed: int = 0

    @property
    def pool(self) -> int:
        """Instances of the main attribution pool: the S samples, and the sizes' block then the reference."""
        return max(self.samples * self.instances, max(self.sizes, default=0) + self.reference)

    @property
    def compare_pool(self) -> int:
        return self.compare_samples * self.instances

    def labels(self) -> list[str]:
        """The sets evaluated as Table 1 does: each sample, the first block of each size, the reference."""
        return [f"sample{s}" for s in range(self.samples)] + [f"n{size}" for size in self.sizes] + ["reference"]


def check_study(settings: StudySettings) -> None:
    """One-line errors for a study that cannot be run, before any attribution."""
    from neuronllm.methods import get_method

    for method in settings.methods:
        get_method(method)
    if settings.samples < 2:
        raise UserError(f"stability: samples must be at least 2 to compare samples, got {settings.samples}")
    if settings.compare_samples > settings.samples:
        raise UserError(f"stability: compare_samples ({settings.compare_samples}) exceeds samples ({settings.samples})")
    if settings.sizes and settings.reference < 1:
        raise UserError("stability: a data-size curve needs a reference of at least 1 instance")


def study(
    pools: dict[str, dict[str, Attributions]],
    settings: StudySettings,
    versus: dict[str, str],
    model: str,
) -> tuple[list[dict[str, Any]], dict[tuple[str, str, str], Identified]]:
    """The set comparisons' rows (COLUMNS) and the sets to evaluate, {(task, method, label): sets}.

    `pools`: {"pool": {task: attributions}, and optionally "steps" and "format": the compare samples'
    attributions with the other IG steps and the other answer format}; `versus`: their row labels."""
    check_study(settings)
    main = pools["pool"]
    counts = next(iter(main.values())).neuron_counts
    total = sum(counts)
    rows: list[dict[str, Any]] = []
    evaluated: dict[tuple[str, str, str], Identified] = {}

    def row(task: str, method: str, side_name: str, comparison: str, against: str, instances: int, statistic: str,
            values: dict[str, float | int], random: float) -> None:  # fmt: skip
        rows.append(
            {
                "model": model,
                "seed": settings.seed,
                "task": task,
                "method": method,
                "side": side_name,
                "comparison": comparison,
                "versus": against,
                "instances": instances,
                "statistic": statistic,
                "random": random,
            }
            | values  # fmt: skip
        )

    def sizes_of(sets: Sequence[Identified], name: str) -> list[int]:
        return [len(side(s, name)) for s in sets]

    def random_jaccard(first: Sequence[Identified], second: Sequence[Identified], name: str,
                       matched: list[tuple[int, int]]) -> float:  # fmt: skip
        values = [
            expected_random_jaccard(total, len(side(first[i], name)), len(side(second[j], name))) for i, j in matched
        ]
        return summary(values)["value"]

    for task in main:
        for method in settings.methods:

            def identified(
                variant: str, block: int, size: int, start: int = 0, t: str = task, m: str = method
            ) -> Identified:
                return identify_sample(
                    m, pools[variant], t, block, size, settings.budget, settings.seed, settings.z, start, variant
                )

            samples = [identified("pool", s, settings.instances) for s in range(settings.samples)]
            for s, sets in enumerate(samples):
                evaluated[(task, method, f"sample{s}")] = sets
            sample_pairs = pairs(len(samples))
            for name, stats in compare(samples, samples, counts, pairs).items():
                for statistic, values in stats.items():
                    reference = random_jaccard(samples, samples, name, sample_pairs) if statistic == "jaccard" else 0.0
                    row(task, method, name, "samples", f"{settings.samples} disjoint samples", settings.instances,
                        statistic, values, reference)  # fmt: skip
                shares = share_in_half([side(s, name) for s in samples])
                mean_size = round(float(np.mean(sizes_of(samples, name))))
                expected = expected_random_share_in_half(total, mean_size, settings.samples) if mean_size else math.nan
                row(task, method, name, "samples", f"{settings.samples} disjoint samples", settings.instances,
                    "share_in_half", summary(shares), expected)  # fmt: skip
            for variant in ("steps", "format"):
                if variant not in pools or settings.compare_samples == 0:
                    continue
                other = [identified(variant, s, settings.instances) for s in range(settings.compare_samples)]

                def same(count: int) -> list[tuple[int, int]]:
                    return [(i, i) for i in range(count)]

                for name, stats in compare(samples[: len(other)], other, counts, same).items():
                    for statistic, values in stats.items():
                        reference = (
                            random_jaccard(samples, other, name, same(len(other))) if statistic == "jaccard" else 0.0
                        )
                        row(task, method, name, variant, versus[variant], settings.instances, statistic, values,
                            reference)  # fmt: skip
            if not settings.sizes:
                continue
            top = max(settings.sizes)
            reference_sets = identified("pool", 0, settings.reference, start=top)
            evaluated[(task, method, "reference")] = reference_sets
            for size in settings.sizes:
                blocks = [identified("pool", b, size) for b in range(top // size)]
                evaluated[(task, method, f"n{size}")] = blocks[0]

                def against_reference(count: int) -> list[tuple[int, int]]:
                    return [(i, 0) for i in range(count)]

                for name, stats in compare(blocks, [reference_sets], counts, against_reference).items():
                    for statistic, values in stats.items():
                        reference = (
                            random_jaccard(blocks, [reference_sets], name, against_reference(len(blocks)))
                            if statistic == "jaccard"
                            else 0.0
                        )
                        row(task, method, name, "size", f"reference of {settings.reference} instances", size,
                            statistic, values, reference)  # fmt: skip
    return rows, evaluated


def load_pools(paths: dict[str, dict[str, str]]) -> dict[str, dict[str, Attributions]]:
    """{variant: {task: attributions}}, each file checked to be its task's and of one model shape."""
    pools: dict[str, dict[str, Attributions]] = {}
    shapes = set()
    for variant, by_task in paths.items():
        pools[variant] = {}
        for task, path in by_task.items():
            loaded = Attributions.load(path)
            recorded = loaded.provenance.get("task")
            if recorded != task:
                raise UserError(f"{path}: attributions of task {recorded!r}, given as {task!r}")
            pools[variant][task] = loaded
            shapes.add(tuple(loaded.neuron_counts))
    if len(shapes) > 1:
        raise UserError("the attribution pools come from models of different shapes")
    if "pool" not in pools or not pools["pool"]:
        raise UserError("the stability study needs the main attribution pool of every task")
    return pools


def write_study(
    paths: dict[str, dict[str, str]],
    settings: StudySettings,
    versus: dict[str, str],
    model: str,
    csv_out: str,
    sets_dir: str | None,
) -> None:
    """The set comparisons' CSV and, under `sets_dir`, every evaluated set as a neuron file
    ({sets_dir}/{task}/{method}/{label}/neurons.json, the layout of neuronllm/pipeline/stability_plan.py)."""
    import pandas as pd

    from neuronllm.atomic import atomic_path
    from neuronllm.neurons import Neuron, NeuronSet

    check_study(settings)
    pools = load_pools(paths)
    rows, evaluated = study(pools, settings, versus, model)
    if sets_dir is not None:
        for (task, method, label), sets in evaluated.items():
            counts = pools["pool"][task].neuron_counts
            provenance = {
                "model": pools["pool"][task].provenance.get("model"),
                "task": task,
                "method": method,
                "budget": settings.budget,
                "seed": settings.seed,
                "stability_sample": label,
                "found": {"good": len(sets.good), "bad": len(sets.bad)},
            }
            NeuronSet(
                [Neuron(layer, index, score) for layer, index, score in sets.scores["good"]],
                [Neuron(layer, index, score) for layer, index, score in sets.scores["bad"]],
                counts,
                provenance,
            ).save(f"{sets_dir}/{task}/{method}/{label}/neurons.json")
    with atomic_path(csv_out) as tmp:
        pd.DataFrame(rows, columns=list(COLUMNS)).to_csv(tmp, index=False)
