"""The prefix tree of batched shared-context scoring (engine.py): a radix tree of prompt prefixes
whose keys/values sit in one flat store per layer, and the cache layer that lays a batch's past out
once so every condition's forward reuses it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch


@dataclass
class _Segment:
    tokens: list[int]
    parent: int  # -1: a child of the (empty) root
    start: int  # absolute position of its first token
    children: dict[int, int] = field(default_factory=dict)
    offset: int = 0  # where its keys/values sit in the tree's flat store


class PrefixTree:
    """A radix tree of token sequences; `insert` returns the segment a sequence ends at (-1: empty).

    Keys/values live in one flat store per layer ([kv_heads, size, head_dim], `allocate`), segment s at
    [offset_s, offset_s + len_s): a row's past is gathered from it with one index per layer, never
    concatenated piece by piece."""

    def __init__(self) -> None:
        self.segments: list[_Segment] = []
        self.roots: dict[int, int] = {}
        self.keys: list[torch.Tensor] = []
        self.values: list[torch.Tensor] = []

    def insert(self, ids: Sequence[int]) -> int:
        node, position, ids = -1, 0, list(ids)
        while position < len(ids):
            children = self.roots if node == -1 else self.segments[node].children
            child = children.get(ids[position])
            if child is None:
                self.segments.append(_Segment(ids[position:], node, position))
                children[ids[position]] = len(self.segments) - 1
                return len(self.segments) - 1
            tokens = self.segments[child].tokens
            common = 0
            while common < len(tokens) and position + common < len(ids) and tokens[common] == ids[position + common]:
                common += 1
            if common < len(tokens):
                child = self._split(child, common)
            node, position = child, position + common
        return node

    def _split(self, index: int, at: int) -> int:
        """Cut segment `index` after `at` tokens; returns the new upper part (the lower keeps its index)."""
        lower = self.segments[index]
        upper = _Segment(lower.tokens[:at], lower.parent, lower.start, {lower.tokens[at]: index})
        self.segments.append(upper)
        upper_index = len(self.segments) - 1
        siblings = self.roots if lower.parent == -1 else self.segments[lower.parent].children
        siblings[lower.tokens[0]] = upper_index
        lower.tokens, lower.parent, lower.start = lower.tokens[at:], upper_index, lower.start + at
        return upper_index

    def chain(self, node: int) -> list[int]:
        """Segments from the top down to `node` (empty for -1)."""
        out = []
        while node != -1:
            out.append(node)
            node = self.segments[node].parent
        return out[::-1]

    def levels(self) -> list[list[int]]:
        """Segments grouped by depth, top first: a level's pasts are all computed before it."""
        depth: dict[int, int] = {}
        for index in range(len(self.segments)):
            depth[index] = len(self.chain(index)) - 1
        by_depth: dict[int, list[int]] = {}
        for index, d in depth.items():
            by_depth.setdefault(d, []).append(index)
        return [by_depth[d] for d in sorted(by_depth)]

    def size(self) -> int:
        return sum(len(s.tokens) for s in self.segments)

    def allocate(self, shapes: list[tuple[int, int]], dtype: torch.dtype, device: torch.device) -> None:
        """The flat store: per layer (kv_heads, head_dim) -> zeros [kv_heads, size, head_dim]."""
        offset = 0
        for segment in self.segments:
            segment.offset, offset = offset, offset + len(segment.tokens)
        self.keys = [torch.zeros(h, offset, d, dtype=dtype, device=device) for h, d in shapes]
        self.values = [torch.zeros(h, offset, d, dtype=dtype, device=device) for h, d in shapes]

    def positions(self, node: int) -> list[int]:
        """Flat-store positions of the tokens from the top down to the end of `node` (its past)."""
        return [
            p
            for s in self.chain(node)
            for p in range(self.segments[s].offset, self.segments[s].offset + len(self.segments[s].tokens))
        ]


class FixedPastLayer:
    """A cache layer over a preallocated [B, kv_heads, past + width, head_dim] buffer whose first `past`
    positions hold the batch's past: `update` writes the new keys/values into the rest and returns the
    whole buffer. A transformers DynamicLayer would concatenate (copy the past) on every forward."""

    is_sliding = False
    is_compileable = False

    def __init__(self, keys: torch.Tensor, values: torch.Tensor, past: int):
        self.keys, self.values, self.past, self.is_initialized = keys, values, past, True

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        width = key_states.shape[-2]
        self.keys[:, :, self.past : self.past + width] = key_states
        self.values[:, :, self.past : self.past + width] = value_states
        return self.keys[:, :, : self.past + width], self.values[:, :, : self.past + width]

    def get_seq_length(self) -> int:
        return self.past

    def get_mask_sizes(self, query_length: int) -> tuple[int, int]:
        return self.past + query_length, 0

    def get_max_length(self) -> int:
        return self.keys.shape[-2]

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:  # already initialised
        pass


def left_padded(
    pasts: list[list[int]], widest: int, tree: PrefixTree, width: int
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Per layer ([B, kv_heads, widest + width, head_dim], same): each row's past gathered from the flat
    store with one index per layer, left-padded (the padding repeats position 0 and is masked out),
    followed by `width` free positions for the new tokens."""
    rows = len(pasts)
    index = torch.zeros(rows, widest, dtype=torch.long)
    for b, past in enumerate(pasts):
        if past:
            index[b, widest - len(past) :] = torch.tensor(past)
    flat = index.flatten().to(tree.keys[0].device)
    out = []
    for keys, values in zip(tree.keys, tree.values):
        heads, _, head_dim = keys.shape
        pair = []
        for store in (keys, values):
            buffer = store.new_zeros(rows, heads, widest + width, head_dim)
            buffer[:, :, :widest] = store.index_select(1, flat).view(heads, rows, widest, head_dim).transpose(0, 1)
            pair.append(buffer)
        out.append((pair[0], pair[1]))
    return out
