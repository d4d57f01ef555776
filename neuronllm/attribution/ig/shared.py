"""Pieces both IG engines share: freezing the model, padding rows, the unmodified answer activations."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import torch
from torch import nn

from neuronllm.errors import UserError
from neuronllm.model import hooks
from neuronllm.model.loading import LoadedModel
from neuronllm.scoring.prefix_kv import last_logits_only

if TYPE_CHECKING:
    from tqdm.auto import tqdm


@contextmanager
def frozen(model: nn.Module) -> Iterator[None]:
    """Parameters without grad and the model in eval mode inside the block; both restored after."""
    flags = [(p, p.requires_grad) for p in model.parameters()]
    was_training = model.training
    try:
        for p, _ in flags:
            p.requires_grad_(False)
        model.eval()
        yield
    finally:
        for p, flag in flags:
            p.requires_grad_(flag)
        model.train(was_training)


def check_layers(loaded: LoadedModel, layers: Sequence[int] | None) -> tuple[list[int], int]:
    counts = loaded.neuron_counts
    if len(set(counts)) != 1:
        raise UserError(f"layers have different neuron counts {sorted(set(counts))}: not supported")
    chosen = list(range(len(counts))) if layers is None else [int(layer) for layer in layers]
    bad = [layer for layer in chosen if not 0 <= layer < len(counts)]
    if bad or not chosen or len(set(chosen)) != len(chosen):
        raise UserError(f"layers {list(layers or [])} must be distinct and within 0..{len(counts) - 1}")
    return chosen, counts[0]


def pad_rows(rows: Sequence[Sequence[int]], pad_id: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad token rows: (input_ids [n, S], attention_mask [n, S])."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, : len(row)] = 1
    return ids, mask


def answer_activations(model: nn.Module | LoadedModel, prompt_ids: Sequence[int]) -> torch.Tensor:
    """n̂: the FFN neurons at the last prompt token, every layer, from one forward. [n_layers, d_ff] float32 cpu."""
    loaded = LoadedModel.wrap(model)
    captured: list[torch.Tensor | None] = [None] * len(loaded.projections)

    def capture(layer: int) -> Callable[[nn.Module, tuple], None]:
        def hook(module: nn.Module, args: tuple) -> None:
            captured[layer] = args[0][0, -1].detach().float().cpu()

        return hook

    ids = torch.tensor([list(prompt_ids)], dtype=torch.long, device=loaded.device)
    with torch.no_grad(), hooks.attach(loaded, {hooks.neurons(i): capture(i) for i in range(len(captured))}):
        loaded.model(input_ids=ids, use_cache=False, **last_logits_only(loaded.model))
    return torch.stack(captured)  # type: ignore[arg-type]  # the forward's hooks filled every layer's slot


def progress(enabled: bool, total: int, desc: str) -> tqdm:
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled)


def projection_device(module: nn.Module, fallback: torch.device) -> torch.device:
    weight = getattr(module, "weight", None)
    return weight.device if isinstance(weight, torch.Tensor) else fallback
