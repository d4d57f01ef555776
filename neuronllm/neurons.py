"""NeuronSet: the good and bad neurons a method found, with where they came from.

On disk (JSON, written atomically):
    {"format": "neuronllm.neurons/1",
     "good": [[layer, index, score], ...],     # ranked, best first
     "bad":  [[layer, index, score], ...],     # ranked, most harmful first (scores < 0 for CNI)
     "neuron_counts": [d_ff of layer 0, ...],  # shape of the model the set was found on
     "provenance": {"model", "task", "method", "budget", "seed", "config", "package_version", ...}}
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from neuronllm.atomic import read_json, write_json
from neuronllm.errors import UserError

FORMAT = "neuronllm.neurons/1"


def check_budget(budget: int, total: int | None, both_sides: bool = False, model: str = "the model") -> None:
    """The one budget rule (identify, common neurons, the config check): K >= 1, and the set's neurons
    fit in the model: K, or K good + K bad for a set with a bad side. total None: not known yet."""
    if budget <= 0:
        raise UserError(f"budget must be positive, got {budget}")
    needed = 2 * budget if both_sides else budget
    if total is not None and needed > total:
        what = f"budget {budget} ({budget} good + {budget} bad neurons)" if both_sides else f"budget {budget}"
        raise UserError(f"{what} is larger than {model}'s {total} neurons")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _neuron(entry: Any, source: str, side: str, position: int) -> Neuron:
    where = f"{source}: {side} entry {position}"
    if not isinstance(entry, list) or len(entry) != 3:
        raise UserError(f"{where} must be [layer, index, score], got {entry!r}")
    layer, index, score = entry
    if not _is_int(layer) or not _is_int(index):
        raise UserError(f"{where}: layer and index must be integers, got {layer!r}, {index!r}")
    if isinstance(score, bool) or not isinstance(score, (int, float)) or not math.isfinite(score):
        raise UserError(f"{where}: score must be a finite number, got {score!r}")
    return Neuron(layer, index, float(score))


@dataclass(frozen=True)
class Neuron:
    layer: int
    index: int
    score: float


@dataclass
class NeuronSet:
    good: list[Neuron]
    bad: list[Neuron]
    neuron_counts: list[int]
    provenance: dict[str, Any] = field(default_factory=dict)

    def part(self, which: str) -> tuple[list[Neuron], list[Neuron]]:
        """(good, bad) restricted to `which` in {good, bad, both}: the ablation's columns."""
        if which == "both":
            return self.good, self.bad
        if which == "good":
            return self.good, []
        if which == "bad":
            return [], self.bad
        raise UserError(f"unknown part {which!r}: expected good, bad or both")

    def validate(self, neuron_counts: Sequence[int] | None = None, source: str = "neuron set") -> None:
        """Check ranges and duplicates against a model's shape (default: the recorded one)."""
        counts = list(neuron_counts if neuron_counts is not None else self.neuron_counts)
        if neuron_counts is not None and self.neuron_counts and list(self.neuron_counts) != counts:
            raise UserError(
                f"{source}: found on a model with {len(self.neuron_counts)} layers x {self.neuron_counts[0]} neurons, "
                f"but this model has {len(counts)} x {counts[0] if counts else 0}"
            )
        for name, neurons in (("good", self.good), ("bad", self.bad)):
            seen: set[tuple[int, int]] = set()
            for neuron in neurons:
                if not 0 <= neuron.layer < len(counts):
                    raise UserError(f"{source}: {name} neuron layer {neuron.layer} outside 0..{len(counts) - 1}")
                if not 0 <= neuron.index < counts[neuron.layer]:
                    raise UserError(
                        f"{source}: {name} neuron index {neuron.index} outside 0..{counts[neuron.layer] - 1} "
                        f"in layer {neuron.layer}"
                    )
                if not math.isfinite(neuron.score):
                    raise UserError(
                        f"{source}: {name} neuron (layer {neuron.layer}, index {neuron.index}) has score {neuron.score}"
                    )
                key = (neuron.layer, neuron.index)
                if key in seen:
                    raise UserError(f"{source}: {name} neuron (layer {key[0]}, index {key[1]}) listed twice")
                seen.add(key)
        both = {(n.layer, n.index) for n in self.good} & {(n.layer, n.index) for n in self.bad}
        if both:
            layer, index = sorted(both)[0]
            raise UserError(f"{source}: neuron (layer {layer}, index {index}) is both good and bad")

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "good": [[n.layer, n.index, n.score] for n in self.good],
            "bad": [[n.layer, n.index, n.score] for n in self.bad],
            "neuron_counts": list(self.neuron_counts),
            "provenance": self.provenance,
        }

    def digest(self) -> str:
        """Hash of the neurons themselves (not the provenance): part of lm-eval's cache identity."""
        payload = json.dumps([self.to_json()["good"], self.to_json()["bad"]], separators=(",", ":"))
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def save(self, path: str | Path) -> None:
        self.validate()
        write_json(path, self.to_json())

    @classmethod
    def from_json(cls, obj: Any, source: str = "neuron set") -> NeuronSet:
        """Parse strictly: layer and index must be JSON integers (173.7 is not silently 173, true is not
        1), scores finite numbers, counts positive integers."""
        if not isinstance(obj, dict) or obj.get("format") != FORMAT:
            raise UserError(f'{source}: not a neuron file (expected "format": "{FORMAT}")')
        for key in ("good", "bad", "neuron_counts"):
            if not isinstance(obj.get(key), list):
                raise UserError(f"{source}: malformed neuron file ({key!r} must be a list)")
        good = [_neuron(entry, source, "good", n) for n, entry in enumerate(obj["good"])]
        bad = [_neuron(entry, source, "bad", n) for n, entry in enumerate(obj["bad"])]
        counts = obj["neuron_counts"]
        if not counts or not all(_is_int(c) and c > 0 for c in counts):
            raise UserError(f"{source}: malformed neuron file ('neuron_counts' must be positive integers)")
        provenance = obj.get("provenance") or {}
        if not isinstance(provenance, dict):
            raise UserError(f"{source}: malformed neuron file ('provenance' must be an object)")
        neuron_set = cls(good, bad, list(counts), dict(provenance))
        neuron_set.validate(source=source)
        return neuron_set

    @classmethod
    def load(cls, path: str | Path, neuron_counts: Sequence[int] | None = None) -> NeuronSet:
        """Read and validate; with `neuron_counts`, also check the set fits that model."""
        path = Path(path)
        obj = read_json(path, "neuron")
        neuron_set = cls.from_json(obj, source=str(path))
        if neuron_counts is not None:
            neuron_set.validate(neuron_counts, source=str(path))
        return neuron_set
