"""Per-proxy neuron scores, computed once and shared by every identification method.

Kinds of score, each [n_proxies, n_layers, d_ff]:
  contrastive   IG of the correct option's log-softmax over the options            (CNI)
  gold_prob     IG of the gold answer's whole-vocabulary probability               (KN and QRNCA share it)
  grad_x_act    activation · ∂ log P(gold) / ∂ activation, one forward + backward  (TN)
  activation    the neuron's value at the answer position                         (ACT)
Selection (methods/) is cheap and runs on these tensors, so the costly part is done once per task
however many methods, budgets and ablation columns read it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from tqdm import tqdm

from neuronllm.atomic import atomic_path
from neuronllm.attribution import IG_LAYER_BATCH, IG_STEPS
from neuronllm.errors import UserError
from neuronllm.tasks.aqua import ProxyQA

if TYPE_CHECKING:
    from neuronllm.model.loading import LoadedModel

KINDS = ("contrastive", "gold_prob", "grad_x_act", "activation")
FORMAT = "neuronllm.attributions/1"


def check_kinds(kinds: Sequence[str]) -> None:
    unknown = [k for k in kinds if k not in KINDS]
    if unknown or not kinds:
        raise UserError(f"unknown attribution kind {(unknown or [''])[0]!r}: expected one of {', '.join(KINDS)}")


@dataclass
class Attributions:
    instance_ids: list[str]  # per proxy
    scores: dict[str, torch.Tensor]  # kind -> [n_proxies, n_layers, d_ff] float32
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def neuron_counts(self) -> list[int]:
        any_scores = next(iter(self.scores.values()))
        return [any_scores.shape[2]] * any_scores.shape[1]

    def require(self, kind: str) -> torch.Tensor:
        if kind not in self.scores:
            raise UserError(f"attributions lack {kind!r} scores (have {', '.join(self.scores)})")
        return self.scores[kind]

    def by_instance(self) -> dict[str, list[int]]:
        """instance id -> the indices of its proxies, in first-seen order."""
        groups: dict[str, list[int]] = {}
        for index, instance_id in enumerate(self.instance_ids):
            groups.setdefault(instance_id, []).append(index)
        return groups

    def save(self, path: str | Path) -> None:
        with atomic_path(path) as tmp:
            torch.save(
                {
                    "format": FORMAT,
                    "instance_ids": self.instance_ids,
                    "scores": self.scores,
                    "provenance": self.provenance,
                },
                tmp,
            )

    @classmethod
    def load(cls, path: str | Path) -> Attributions:
        from neuronllm.digests import regular_file

        if Path(path).exists() and not Path(path).is_dir():
            regular_file(path, "attribution")
        try:
            obj = torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise UserError(f"attribution file not found: {path}") from None
        except Exception as err:
            raise UserError(f"{path}: not an attribution file ({type(err).__name__})") from None
        if not isinstance(obj, dict) or obj.get("format") != FORMAT:
            raise UserError(f"{path}: not an attribution file (expected format {FORMAT})")
        return cls(*_checked(obj, str(path)))


PROVENANCE_DIGESTS = ("data", "task_spec", "model")


def _checked(obj: dict[str, Any], source: str) -> tuple[list[str], dict[str, torch.Tensor], dict[str, Any]]:
    """An attribution file's parts, checked (one line each, no traceback): instance ids as text, one
    [n_proxies, n_layers, d_ff] float tensor per known kind, and a provenance whose content digests
    (data, task spec, model) are there: without them what the scores were computed from cannot be
    checked, and `identify` would reuse them after the data changed."""
    ids, scores, provenance = obj.get("instance_ids"), obj.get("scores"), obj.get("provenance")
    if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
        raise UserError(f"{source}: malformed attribution file ('instance_ids' must be a list of texts)")
    if not isinstance(scores, dict) or not scores:
        raise UserError(f"{source}: malformed attribution file ('scores' must map kinds to tensors)")
    shapes = set()
    for kind, tensor in scores.items():
        if kind not in KINDS:
            raise UserError(f"{source}: unknown attribution kind {kind!r} (expected {', '.join(KINDS)})")
        if not isinstance(tensor, torch.Tensor) or tensor.ndim != 3 or not tensor.is_floating_point():
            raise UserError(f"{source}: {kind} scores must be a float tensor [proxies, layers, neurons]")
        if tensor.shape[0] != len(ids) or min(tensor.shape) == 0:
            raise UserError(f"{source}: {kind} scores have {tensor.shape[0]} rows for {len(ids)} proxies")
        if not bool(torch.isfinite(tensor).all()):
            raise UserError(f"{source}: {kind} scores hold NaN or infinite values")
        shapes.add(tuple(tensor.shape))
    if len(shapes) != 1:
        raise UserError(f"{source}: the kinds' score tensors have different shapes ({sorted(shapes)})")
    if not isinstance(provenance, dict):
        raise UserError(f"{source}: malformed attribution file ('provenance' must be an object)")
    digests = provenance.get("digests")
    missing = [k for k in PROVENANCE_DIGESTS if not isinstance(digests, dict) or not isinstance(digests.get(k), str)]
    if missing:
        raise UserError(
            f"{source}: records no {missing[0]} digest, so what its scores were computed from cannot be "
            f"checked (re-run `neuronllm attribute`)"
        )
    return list(ids), dict(scores), dict(provenance)


def _gradient_x_activation(loaded: LoadedModel, tokens: Any, results: dict | None) -> torch.Tensor:
    """TN's a · ∂ log P(gold)/∂a. From an IG pass: ∂ log P/∂a = (∂P/∂a) / P at the path's end (k = m,
    w = n̂), so a · endpoint gradient of gold_prob / P(gold); otherwise (or where P(gold) underflows) its
    own forward and backward (ig/gradient.py). The two agree to float rounding (tests/integration/test_ig.py)."""
    from neuronllm.attribution.ig import activation_times_gradient

    if results is not None:
        gold = results["gold_prob"]
        probability = gold.f_full  # [n_layers], F(1) = P(gold) of the unmodified model
        if bool((probability > 1e-30).all()):
            return (gold.activations * gold.endpoint_gradient / probability[:, None]).float().cpu()
    return activation_times_gradient(loaded, tokens, "gold_logprob").float().cpu()


def compute_attributions(
    loaded: LoadedModel,
    proxies: Sequence[ProxyQA],
    kinds: Sequence[str],
    steps: int = IG_STEPS,
    layer_batch: int = IG_LAYER_BATCH,
    engine: str = "cached",
    progress: bool = True,
) -> Attributions:
    """Every requested kind of score for every proxy (the expensive step of identification)."""
    from neuronllm.attribution.ig import answer_activations, integrated_gradients_many, proxy_tokens

    model, tokenizer = loaded
    check_kinds(kinds)
    per_kind: dict[str, list[torch.Tensor]] = {k: [] for k in kinds}
    ig_kinds = [kind for kind in kinds if kind in ("contrastive", "gold_prob")]
    if ig_kinds and "grad_x_act" in kinds and "gold_prob" not in ig_kinds:
        ig_kinds.append("gold_prob")  # TN reads its endpoint gradient (one more backward, no more forwards)
    for proxy in tqdm(proxies, desc="Attributing proxies", disable=not progress, unit="prompt"):
        tokens = proxy_tokens(tokenizer, proxy.prompt, list(proxy.options), proxy.gold, proxy.answer_format)
        if ig_kinds:  # one forward per pass serves every objective
            results = integrated_gradients_many(
                loaded, tokens, ig_kinds, steps=steps, engine=engine, layer_batch=layer_batch
            )
        for kind in kinds:
            if kind in ig_kinds:
                per_kind[kind].append(results[kind].attributions)
            elif kind == "grad_x_act":
                per_kind[kind].append(_gradient_x_activation(loaded, tokens, results if ig_kinds else None))
            elif ig_kinds:  # activation: the IG pass already recorded n̂
                per_kind[kind].append(results[ig_kinds[0]].activations.float().cpu())
            else:
                per_kind[kind].append(answer_activations(loaded, tokens.prompt_ids).float().cpu())
    scores = {k: torch.stack(v) for k, v in per_kind.items()}
    provenance = {"steps": steps, "engine": engine, "n_proxies": len(proxies), "kinds": list(kinds)}
    return Attributions([p.instance_id for p in proxies], scores, provenance)
