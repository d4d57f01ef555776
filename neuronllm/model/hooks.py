"""Named hook points: one per concept, the same name wherever it is used (TransformerLens style).

    blocks.{layer}.mlp.hook_post     the FFN neuron vector n_l [batch, pos, d_ff], i.e. the input of the
                                     layer's FFN output projection (loading.py): what interventions
                                     scale and what integrated gradients differentiate
    blocks.{layer}.hook_resid_pre    the hidden state entering decoder layer l [batch, pos, d_model]

Both are forward pre-hooks on the modules a LoadedModel found once. A `hook_post` function is
`fn(module, args) -> new args | None` (args[0] is n); a `hook_resid_pre` function is
`fn(module, args, kwargs) -> None` (read only). `attach` removes every hook on exit, exceptions
included, so leaving the block restores the model exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING

from neuronllm.errors import UserError

if TYPE_CHECKING:
    from torch import nn

    from neuronllm.model.loading import LoadedModel

NEURONS = "blocks.{layer}.mlp.hook_post"
RESID_PRE = "blocks.{layer}.hook_resid_pre"
_PATTERN = re.compile(r"^blocks\.(\d+)\.(mlp\.hook_post|hook_resid_pre)$")


def neurons(layer: int) -> str:
    """The name of layer `layer`'s neuron hook point."""
    return NEURONS.format(layer=layer)


def resid_pre(layer: int) -> str:
    return RESID_PRE.format(layer=layer)


def hook_site(loaded: LoadedModel, name: str) -> tuple[nn.Module, bool]:
    """(module, with_kwargs) of a hook point name."""
    match = _PATTERN.match(name)
    if match is None:
        raise UserError(f"unknown hook point {name!r}: expected {NEURONS} or {RESID_PRE}")
    layer, kind = int(match.group(1)), match.group(2)
    if not 0 <= layer < len(loaded.layers):
        raise UserError(f"hook point {name!r}: the model has layers 0..{len(loaded.layers) - 1}")
    if kind == "mlp.hook_post":
        return loaded.projections[layer], False
    return loaded.layers[layer], True


@contextmanager
def attach(loaded: LoadedModel, hooks: Mapping[str, Callable] | list[tuple[str, Callable]]) -> Iterator[None]:
    """Register `hooks` ({name: fn} or [(name, fn)] for several functions at one point) inside the block."""
    items = list(hooks.items()) if isinstance(hooks, Mapping) else list(hooks)
    handles = []
    try:
        for name, fn in items:
            module, with_kwargs = hook_site(loaded, name)
            handles.append(module.register_forward_pre_hook(fn, with_kwargs=with_kwargs))
        yield
    finally:
        for handle in handles:
            handle.remove()
