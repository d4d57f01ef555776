"""Shared ranking helpers: flatten [n_layers, d_ff] scores into ranked (layer, index, score) lists."""

from __future__ import annotations

import torch

Ranked = list[tuple[int, int, float]]


def top_k(scores: torch.Tensor, k: int, sign: int = 1, keep: torch.Tensor | None = None) -> Ranked:
    """The k neurons with the largest sign·score among those with sign·score > 0 (and `keep` True).

    Ties break by flat index (layer-major), so the result is deterministic.
    """
    flat = (sign * scores).flatten().double()
    eligible = flat > 0
    if keep is not None:
        eligible &= keep.flatten()
    candidates = torch.nonzero(eligible).flatten()  # ascending flat index
    if candidates.numel() == 0 or k <= 0:
        return []
    order = torch.sort(flat[candidates], descending=True, stable=True).indices[:k]  # stable: ties by index
    chosen = candidates[order]
    d_ff = scores.shape[1]
    originals = scores.flatten()[chosen].tolist()
    return [(int(i) // d_ff, int(i) % d_ff, float(s)) for i, s in zip(chosen.tolist(), originals)]


def instance_sums(per_proxy: torch.Tensor, groups: dict[str, list[int]]) -> dict[str, torch.Tensor]:
    """Sum of a score over each instance's proxies (eq. 4 for IG): id -> [n_layers, d_ff]."""
    return {instance: per_proxy[indices].sum(0) for instance, indices in groups.items()}
