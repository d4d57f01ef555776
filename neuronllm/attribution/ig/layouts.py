"""How the cached IG engine lays (layer, step) groups out in one forward (see ig/cached.py).

`PackedLayout`: groups of continuation-trie tokens laid end to end in ONE sequence after the cached
prefix, a 4D mask letting each token see the prefix and its own ancestors only. `FullRowLayout`: the
fallback for models whose prefix cannot be reused exactly (neuronllm/scoring/prefix_kv.py): full prompt rows.
`DecoderStack`: the model's decoder list, so a forward can start at layer l.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import nn

from neuronllm.attribution.ig.proxy import ProxyTokens
from neuronllm.attribution.ig.shared import pad_rows
from neuronllm.model import hooks
from neuronllm.model.loading import LoadedModel
from neuronllm.scoring.continuations import Continuations
from neuronllm.scoring.prefix_kv import KeyValues, fresh_cache, logits_at


class PackedLayout:
    """`groups` copies of the continuation trie laid end to end in ONE sequence after the cached prefix.

    No padding. A token sees the whole prefix and its own ancestors in its own group's trie, nothing
    else: the additive 4D mask makes every path attend exactly as if it were appended to the prompt
    alone, at the positions (position_ids) it would have there. So all groups share one prefix cache
    of batch 1 and nothing of size rows × prefix is ever materialised. Attention over the packed tokens
    costs N·(P + N) instead of N·P, which is why a pass is limited to `pass_tokens` tokens.
    """

    def __init__(
        self, trie: Continuations, groups: int, key_values: KeyValues, dtype: torch.dtype, device: torch.device
    ):
        prefix_length = key_values[0][0].shape[-2]
        self.key_values = key_values
        self.width = len(trie.tokens)  # columns per group; column 0 of a group is its answer position
        self.answers_per_group = 1
        # Only the columns whose next-token distribution an option's term reads get logits (a trie's leaves
        # never do): logits come back [groups, kept, vocab] and term_columns index the kept columns.
        kept = torch.unique(trie.node)
        self.term_columns = torch.searchsorted(kept, trie.node)
        self.keep = (torch.arange(groups)[:, None] * self.width + kept[None]).reshape(-1).to(device)
        self.kept_per_group = len(kept)
        within = torch.kron(torch.eye(groups, dtype=torch.long), trie.ancestry().long()).bool()  # [N, N]
        allowed = torch.cat([torch.ones(len(within), prefix_length, dtype=torch.bool), within], dim=1)
        mask = torch.zeros(allowed.shape, dtype=dtype).masked_fill(~allowed, torch.finfo(dtype).min)
        self.mask = mask[None, None].to(device)  # [1, 1, N, P + N]
        self.input_ids = torch.tensor(trie.tokens).repeat(groups)[None].to(device)  # [1, N]
        positions = torch.tensor(trie.depths()) + prefix_length  # where each node sits after the prompt
        self.position_ids = positions.repeat(groups)[None].to(device)  # [1, N]

    def answer_index(self, local_groups: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(batch, position) of the answer position of these groups: [len(local_groups)] each."""
        columns = local_groups * self.width
        return torch.zeros_like(columns), columns

    def logits(self, model: nn.Module, entry: torch.Tensor | None = None) -> torch.Tensor:
        """[groups, kept columns, vocab]. A fresh DynamicCache per pass: a forward appends to its cache in place.

        entry: one group's hidden state [1, width, d_model] entering the first decoder layer that the
        caller's `DecoderStack.starting_at` left in the model; every group starts from it.
        """
        tokens = {"input_ids": self.input_ids}
        if entry is not None:
            tokens = {"inputs_embeds": entry.repeat(1, self.input_ids.shape[1] // self.width, 1)}
        logits = logits_at(
            model,
            self.keep,
            **tokens,
            position_ids=self.position_ids,
            attention_mask=self.mask,
            cache=fresh_cache(model, self.key_values),
            use_cache=True,
        )
        return logits.view(-1, self.kept_per_group, logits.shape[-1])


class FullRowLayout:
    """Fallback for models the packed pass cannot serve: one row per root-to-leaf path of the trie,
    each the whole prompt + path, right-padded (causal attention: real tokens never see later pads,
    so no mask is needed). Batch row = group·U + u; every row's answer position is replaced."""

    def __init__(self, trie: Continuations, groups: int, proxy: ProxyTokens, device: torch.device):
        paths, where = trie.paths()
        ids, _ = pad_rows([proxy.prompt_ids[:-1] + path for path in paths])  # [U, S]
        self.n_rows, self.width = ids.shape
        self.answer = proxy.answer_position
        self.answers_per_group = self.n_rows
        self.input_ids = ids.repeat(groups, 1).to(device)  # [groups·U, S]
        column_of_node = torch.tensor([row * self.width + self.answer + position for row, position in where])
        self.term_columns = column_of_node[trie.node]  # in a group's flattened [U·S]

    def answer_index(self, local_groups: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        batch = (local_groups[:, None] * self.n_rows + torch.arange(self.n_rows)[None, :]).reshape(-1)
        return batch, torch.full_like(batch, self.answer)

    def logits(self, model: nn.Module) -> torch.Tensor:
        logits = model(input_ids=self.input_ids, use_cache=False).logits  # [groups·U, S, vocab]
        return logits.view(-1, self.n_rows * self.width, logits.shape[-1])


class DecoderStack:
    """The model's list of decoder layers (the ModuleList holding the FFN projections, found by
    identity, not by name), so that a forward can start at layer l: see ig/cached.py."""

    def __init__(self, loaded: LoadedModel):
        self.loaded = loaded
        self.parent: nn.Module | None = None
        projections = loaded.projections
        for name, module in loaded.model.named_modules():
            if isinstance(module, nn.ModuleList) and len(module) == len(projections):
                if all(any(p is m for m in layer.modules()) for layer, p in zip(module, projections)):
                    parent_name, _, self.attribute = name.rpartition(".")
                    self.parent, self.layers = loaded.model.get_submodule(parent_name), module
                    break

    @contextmanager
    def entries(self, layers: Sequence[int]) -> Iterator[dict[int, torch.Tensor]]:
        """Record the hidden state entering each of these decoder layers (hook point
        blocks.{l}.hook_resid_pre) during the block's forwards."""
        recorded: dict[int, torch.Tensor] = {}

        def record(layer: int) -> Callable[[nn.Module, tuple, dict], None]:
            def hook(module: nn.Module, args: tuple, kwargs: dict) -> None:
                recorded[layer] = (args[0] if args else kwargs["hidden_states"]).detach()

            return hook

        with hooks.attach(self.loaded, {hooks.resid_pre(j): record(j) for j in layers}):
            yield recorded

    @contextmanager
    def starting_at(self, layer: int) -> Iterator[None]:
        """Inside the block the model's decoder list is layers[layer:] (the same modules)."""
        assert self.parent is not None
        setattr(self.parent, self.attribute, nn.ModuleList(list(self.layers)[layer:]))
        try:
            yield
        finally:
            setattr(self.parent, self.attribute, self.layers)


def exact_entries(
    model: nn.Module,
    stack: DecoderStack,
    layout: PackedLayout,
    entries: dict[int, torch.Tensor],
    reference: torch.Tensor,
) -> dict[int, torch.Tensor]:
    """The entries from which running the decoder stack reproduces `reference` (one group's logits of
    the full forward); all or none: a model whose forward does not re-enter exactly gets none."""
    scale = reference.abs().max().clamp_min(1e-6)
    try:
        for layer, entry in entries.items():
            with torch.no_grad(), stack.starting_at(layer):
                if ((layout.logits(model, entry) - reference).abs().max() / scale).item() > 1e-5:
                    return {}
    except Exception:  # noqa: BLE001 - a forward that cannot start mid-way just runs every layer
        return {}
    return entries
