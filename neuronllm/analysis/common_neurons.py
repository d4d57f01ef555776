"""Common ability neurons: the neurons several tasks' good (and bad) sets share (docs/method.md §3).

Rank a neuron by the number of tasks whose set holds it, then by the sum over those tasks of its score
divided by that task's largest |score| (so no task dominates through scale). The intersection comes
first by construction; when it is smaller than K, the next-most-shared neurons fill the budget.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from neuronllm import __version__
from neuronllm.errors import UserError, warn
from neuronllm.neurons import Neuron, NeuronSet, check_budget


def _rank_shared(lists: Sequence[list[Neuron]], budget: int) -> list[Neuron]:
    count: dict[tuple[int, int], int] = defaultdict(int)
    score: dict[tuple[int, int], float] = defaultdict(float)
    for neurons in lists:
        scale = max((abs(n.score) for n in neurons), default=0.0) or 1.0
        for n in neurons:
            count[(n.layer, n.index)] += 1
            score[(n.layer, n.index)] += abs(n.score) / scale
    ranked = sorted(count, key=lambda key: (-count[key], -score[key], key))[:budget]
    return [Neuron(layer, index, score[(layer, index)]) for layer, index in ranked]


def common_neurons(sets: Sequence[NeuronSet], budget: int) -> NeuronSet:
    if len(sets) < 2:
        raise UserError("common ability neurons need the sets of at least two tasks")
    counts = sets[0].neuron_counts
    if any(s.neuron_counts != counts for s in sets):
        raise UserError("neuron sets come from models of different shapes")
    tasks = [s.provenance.get("task") for s in sets]
    repeated = sorted({t for t in tasks if t is not None and tasks.count(t) > 1})
    if repeated:
        raise UserError(f"common ability neurons need one set per task; task {repeated[0]!r} is given more than once")
    check_budget(budget, sum(counts), both_sides=True)  # K shared good + K shared bad, disjoint
    models = sorted({str(s.provenance.get("model")) for s in sets if s.provenance.get("model")})
    if len(models) > 1:
        warn(f"the sets were found on different models ({', '.join(models)})")
    good = _rank_shared([s.good for s in sets], budget)
    good_keys = {(n.layer, n.index) for n in good}
    bad = [n for n in _rank_shared([s.bad for s in sets], budget) if (n.layer, n.index) not in good_keys]
    shared_everywhere = sum(
        1 for n in good if all(any((m.layer, m.index) == (n.layer, n.index) for m in s.good) for s in sets)
    )
    provenance = {
        "method": "common",
        "budget": budget,
        "tasks": [s.provenance.get("task") for s in sets],
        "sources": [s.provenance for s in sets],
        "good_in_every_task": shared_everywhere,
        "package_version": __version__,
    }
    return NeuronSet(good, bad, list(counts), provenance)
