"""Interventions: multiply chosen FFN neurons by a factor, at chosen positions, inside a `with` block.

    n[row, pos, i] <- factor_i · n[row, pos, i]   for the chosen (layer, i) and pos = positions[row]

`n` is the neuron vector at hook point `blocks.{layer}.mlp.hook_post` (hooks.py, loading.py). Operators
(docs/method.md, "Interventions"):
    silence: ×0      excite: ×f (f = 2 unless a condition says otherwise: condition.py)
    enhance: excite good + silence bad      degrade: silence good + excite bad
The hooks are forward pre-hooks, removed on exit (exceptions included), so leaving the block
restores the model bit for bit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch import nn

from neuronllm.errors import UserError
from neuronllm.model import hooks
from neuronllm.model.condition import EXCITE, OPERATORS, PARTS, SILENCE, Condition  # noqa: F401 - re-exported names
from neuronllm.model.loading import LoadedModel
from neuronllm.neurons import NeuronSet


def operator_factors(op: str, factor: float = EXCITE) -> tuple[float, float]:
    """(factor for good neurons, factor for bad neurons) of an operator (validated by Condition)."""
    return Condition("-", op, factor=factor).factors()


def neuron_factors(
    neuron_set: NeuronSet, op: str, part: str = "both", factor: float = EXCITE
) -> dict[tuple[int, int], float]:
    """{(layer, index): factor} for `op` (exciting by `factor`) applied to the `part` of a neuron set."""
    return Condition("-", op, part, factor=factor).neuron_factors(neuron_set)


@dataclass
class PositionSelector:
    """Where the hooks act, relative to the sequence of the *current* forward call.

    `positions` is a LongTensor [batch] (one position per row, e.g. the answer position, which
    callers compute, also for padded batches) or None for every position. Callers running a KV
    cache update it between calls, since the current call then sees only the new tokens.
    """

    positions: torch.Tensor | None = None
    active: bool = True


@dataclass
class _LayerScale:
    indices: torch.Tensor  # [k] neuron indices in this layer
    factors: torch.Tensor  # [k]
    cache: dict = field(default_factory=dict)

    def on(self, device: torch.device, dtype: torch.dtype) -> tuple[torch.Tensor, torch.Tensor]:
        key = (device, dtype)
        if key not in self.cache:
            self.cache[key] = (self.indices.to(device), self.factors.to(device=device, dtype=dtype))
        return self.cache[key]


def _make_pre_hook(scale: _LayerScale, selector: PositionSelector) -> Callable[[nn.Module, tuple], tuple | None]:
    def hook(module: nn.Module, args: tuple) -> tuple | None:
        if not selector.active:
            return None
        hidden = args[0]  # [batch, pos, d_ff]
        indices, factors = scale.on(hidden.device, hidden.dtype)
        scaled = hidden.clone()
        if selector.positions is None:
            scaled[..., indices] = hidden[..., indices] * factors
        else:
            rows = torch.arange(hidden.shape[0], device=hidden.device)
            positions = selector.positions.to(hidden.device)
            picked = hidden[rows, positions]  # [batch, d_ff]
            picked[:, indices] = picked[:, indices] * factors
            scaled[rows, positions] = picked
        return (scaled, *args[1:])

    return hook


@contextmanager
def scaled_neurons(
    model: nn.Module | LoadedModel,
    factors: Mapping[tuple[int, int], float],
    positions: torch.Tensor | None = None,
) -> Iterator[PositionSelector]:
    """Multiply neuron (layer, index) by factors[(layer, index)] at `positions` while inside the block.

    Yields the PositionSelector, so a caller can move the positions between forward calls.
    """
    loaded = LoadedModel.wrap(model)
    counts = loaded.neuron_counts
    by_layer: dict[int, list[tuple[int, float]]] = defaultdict(list)
    for (layer, index), factor in factors.items():
        if not (0 <= layer < len(counts) and 0 <= index < counts[layer]):
            raise UserError(f"neuron (layer {layer}, index {index}) does not exist in this model")
        by_layer[layer].append((index, float(factor)))
    selector = PositionSelector(positions=positions)
    scales = {
        layer: _LayerScale(
            indices=torch.tensor([i for i, _ in entries], dtype=torch.long),
            factors=torch.tensor([f for _, f in entries], dtype=torch.float32),
        )
        for layer, entries in sorted(by_layer.items())
    }
    with hooks.attach(
        loaded, {hooks.neurons(layer): _make_pre_hook(scale, selector) for layer, scale in scales.items()}
    ):
        yield selector


@contextmanager
def intervention(
    model: nn.Module | LoadedModel,
    neuron_set: NeuronSet,
    op: str,
    part: str = "both",
    positions: torch.Tensor | None = None,
    factor: float = EXCITE,
) -> Iterator[PositionSelector]:
    """Apply `op` (silence/excite/enhance/degrade, exciting by `factor`) to `part` (good/bad/both) of a
    neuron set, checked against this model's shape (callers holding a checked set use `scaled_neurons`)."""
    loaded = LoadedModel.wrap(model)
    neuron_set.validate(loaded.neuron_counts)
    with scaled_neurons(loaded, neuron_factors(neuron_set, op, part, factor), positions) as selector:
        yield selector


def last_token_positions(attention_mask: torch.Tensor) -> torch.Tensor:
    """Index of the last real token of each row, for left- or right-padded batches: [batch]."""
    length = attention_mask.shape[1]
    flipped_first = attention_mask.flip(dims=[1]).long().argmax(dim=1)
    return (length - 1 - flipped_first).long()
