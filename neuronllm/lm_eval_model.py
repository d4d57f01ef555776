"""The `neuronllm` lm-eval model: HFLM plus neuron interventions and shared-context scoring.

    lm_eval --model neuronllm --model_args pretrained=embedded,neurons=set.json,op=degrade --tasks aqua_ner_text

* Interventions (intervene.py) act at the answer position, the last context token, whose next-token
  distribution picks the option (`scope=all`: every position of context and continuation).
* Every option of a question shares the context, so each distinct context runs once with a KV cache
  (minus its last token); the options then run as one batch of [last context token + continuation]
  rows over the expanded cache; the prefix cache is shared by every condition (prefix_cache.py).
  Same numbers as HFLM (tested to 1e-4), a fraction of the work.
* A single-letter continuation (" A") is scored as logsumexp of the " A" and "A" tokens
  (`letter_merge=true`, METHOD.md §2), the same score identification differentiates.
* lm-eval's request cache keys on the request text only; this model moves its own entries into a
  table named by (model, neuron-set hash, op, part, scope), so conditions never share cached scores.
"""

from __future__ import annotations

import hashlib
import json
import string
from collections import defaultdict
from contextlib import nullcontext
from typing import Any

import torch
import torch.nn.functional as F
from lm_eval.api.registry import register_model
from lm_eval.models.huggingface import HFLM
from tqdm import tqdm

from neuronllm.errors import UserError, warn
from neuronllm.intervene import PARTS, neuron_factors, operator_factors, scaled_neurons
from neuronllm.models import (
    LoadedModel,
    check_arguments,
    hflm_arguments,
    hflm_loading_kwargs,
    loaded_from_hflm,
    model_fingerprint,
    quiet_lm_eval,
)
from neuronllm.neurons import NeuronSet
from neuronllm.prefix_cache import PrefixCache
from neuronllm.prefix_kv import cache_argument, fresh_cache
from neuronllm.tokens import letter_variants

SCOPES = ("answer", "all")


def _as_bool(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")


# HFLM arguments that do not load anything: allowed beside an already-loaded model.
RUNTIME_ARGUMENTS = (
    "batch_size", "max_batch_size", "max_length", "truncation", "logits_cache", "softmax_dtype",
    "mixed_precision_dtype", "add_bos_token", "prefix_token_id", "think_end_token", "enable_thinking",
    "chat_template_args", "backend", "device",
)
OWN_ARGUMENTS = ("neurons", "op", "part", "scope", "letter_merge", "prefix_cache", "spec", "tokenizer", "dtype")


def valid_model_arguments() -> tuple[str, ...]:
    """Every `--model_args` key the neuronllm model accepts: its own and HFLM's."""
    return tuple(OWN_ARGUMENTS) + tuple(hflm_arguments())


def check_condition(neuron_set: NeuronSet, source: str, op: str, part: str, factors: dict) -> None:
    """A condition that changes no neuron is not an intervention: refuse it instead of reporting a 0.0 cell."""
    if not factors:
        raise UserError(f"{source}: {op}/{part} changes no neuron (the set has no {part if part != 'both' else 'good or bad'} neurons)")


def warn_if_other_model(neuron_set: NeuronSet, source: str, loaded: LoadedModel) -> None:
    """Same shape, other model (a LLaMA-2 set applied to a Mistral, say): allowed, but said."""
    found_on = neuron_set.provenance.get("model")
    if found_on and found_on != model_fingerprint(loaded.spec):
        warn(f"{source} was found on model {found_on!r}; applying it to {model_fingerprint(loaded.spec)!r}")


@register_model("neuronllm")
class NeuronLLM(HFLM):
    def __init__(
        self,
        pretrained: "str | LoadedModel | torch.nn.Module" = "embedded",
        neurons: str | None = None,
        op: str = "degrade",
        part: str = "both",
        scope: str = "answer",
        letter_merge: bool | str = True,
        dtype: str | None = None,
        prefix_cache: "str | PrefixCache | None" = None,
        spec: str | None = None,
        tokenizer: Any = None,
        **kwargs: Any,
    ) -> None:
        """`pretrained`: a model spec (embedded / hub id / local dir) loaded through HFLM with every HFLM
        argument (revision, trust_remote_code, peft, parallelize, ...), or an already-loaded
        LoadedModel (or a module with `tokenizer=`), so several conditions share one loaded model.
        `prefix_cache`: a directory for prefix keys/values shared across runs, or a PrefixCache.
        Unknown arguments are errors that list the valid ones (a typo must not evaluate another model)."""
        operator_factors(op)  # validates the name
        if part not in PARTS:
            raise UserError(f"unknown part {part!r}: expected good, bad or both")
        if scope not in SCOPES:
            raise UserError(f"unknown scope {scope!r}: expected answer or all")
        if isinstance(pretrained, str):
            check_arguments(kwargs, list(hflm_arguments()) + list(OWN_ARGUMENTS), "model argument")
            loading = hflm_loading_kwargs(pretrained, dtype, kwargs.pop("device", None), **kwargs)
            try:
                with quiet_lm_eval():
                    super().__init__(**loading)
            except (OSError, ValueError) as err:
                first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
                raise UserError(f"cannot load model {pretrained!r}: {first_line}") from err
            self.loaded = loaded_from_hflm(pretrained, self, kwargs)
        else:
            check_arguments(kwargs, list(RUNTIME_ARGUMENTS) + list(OWN_ARGUMENTS), "argument beside an already-loaded model")
            kwargs.pop("device", None)  # the loaded model's device is kept
            self.loaded = LoadedModel.wrap(pretrained, tokenizer, spec)
            with quiet_lm_eval():  # HFLM warns that loading arguments would be ignored: none are given
                super().__init__(pretrained=self.loaded.model, tokenizer=self.loaded.tokenizer, **kwargs)
        self.spec = self.loaded.spec
        if isinstance(prefix_cache, PrefixCache):
            self.prefix_cache = prefix_cache
        else:
            self.prefix_cache = PrefixCache(self.loaded, prefix_cache)
        self.neuron_set = NeuronSet.load(neurons, self.loaded.neuron_counts) if neurons else None
        self.op, self.part, self.scope = op, part, scope
        self.factors = neuron_factors(self.neuron_set, op, part) if self.neuron_set else {}
        if self.neuron_set is not None:
            check_condition(self.neuron_set, neurons, op, part, self.factors)
            warn_if_other_model(self.neuron_set, neurons, self.loaded)
        self.letter_merge = _as_bool(letter_merge)
        self._letter_ids = {
            letter: [ids[0] for ids in letter_variants(self.tokenizer, letter)] for letter in string.ascii_uppercase
        }

    # -- identity -------------------------------------------------------------------------------

    @property
    def condition(self) -> dict[str, Any]:
        """What distinguishes this model's scores from another run's."""
        return {
            "model": self.loaded.identity,
            "neurons": self.neuron_set.digest() if self.neuron_set else None,
            "op": self.op if self.neuron_set else None,
            "part": self.part if self.neuron_set else None,
            "scope": self.scope if self.neuron_set else None,
            "letter_merge": self.letter_merge,
        }

    @property
    def cache_identity(self) -> str:
        return hashlib.sha256(json.dumps(self.condition, sort_keys=True).encode()).hexdigest()[:16]

    def get_model_info(self) -> dict[str, Any]:
        info = super().get_model_info()
        info.update({"neuronllm_condition": self.condition, "neuronllm_cache_identity": self.cache_identity})
        return info

    def set_cache_hook(self, cache_hook: Any) -> None:
        """Called by lm-eval's CachingLM with a hook sharing its SqliteDict: point that dict at a table of
        our own, so lookups and writes for this condition never meet another condition's entries."""
        db = getattr(cache_hook, "dbdict", None)
        if db is not None and hasattr(db, "tablename"):
            db.tablename = f"neuronllm_{self.cache_identity}"
            db.conn.execute(f'CREATE TABLE IF NOT EXISTS "{db.tablename}" (key TEXT PRIMARY KEY, value BLOB)')
            db.conn.commit()
        super().set_cache_hook(cache_hook)

    # -- scoring --------------------------------------------------------------------------------

    def _intervention(self, positions: torch.Tensor | None):
        if not self.factors:
            return nullcontext(None)
        return scaled_neurons(self.loaded, self.factors, positions)

    def _letter_of(self, continuation: str) -> str | None:
        text = continuation.strip()
        if self.letter_merge and len(text) == 1 and text in self._letter_ids:
            return text
        return None

    @torch.no_grad()
    def score_context(
        self, context_ids: list[int], continuations: list[list[int]], letters: list[str | None] | None = None
    ) -> list[tuple[float, bool]]:
        """(log-likelihood, is_greedy) of each continuation after one shared context.

        Rows are [answer token + continuation[:-1]] over the prefix's cached keys/values; models whose
        cache cannot be reused (or `scope=all`, where the prefix itself is intervened) run full rows.
        """
        letters = letters or [None] * len(continuations)
        longest = max(len(c) for c in continuations)
        context_ids = context_ids[-max(1, self.max_length - longest):]
        prefix = context_ids[:-1]
        key_values = self.prefix_cache.get(prefix, longest + 1) if self.scope == "answer" else None
        start = 0 if key_values is not None else len(prefix)  # where the answer position sits in a row
        rows = [(context_ids if key_values is None else context_ids[-1:]) + c[:-1] for c in continuations]
        width = max(len(r) for r in rows)
        pad = self.tokenizer.pad_token_id or 0
        input_ids = torch.tensor([r + [pad] * (width - len(r)) for r in rows], device=self.device)
        kwargs = {}
        if key_values is not None:
            kwargs = {cache_argument(self.model): fresh_cache(self.model, key_values, len(rows)), "use_cache": True}
        positions = torch.full((len(rows),), start, dtype=torch.long)
        with self._intervention(positions if self.scope == "answer" else None):
            logits = self.model(input_ids, **kwargs).logits
        logprobs = F.log_softmax(logits[:, start:].float(), dim=-1)
        results = []
        for row, continuation in enumerate(continuations):
            letter = letters[row]
            if letter is not None and len(continuation) == 1:
                variants = self._letter_ids[letter]
                score = torch.logsumexp(logprobs[row, 0, variants], dim=0).item()
                greedy = int(logprobs[row, 0].argmax()) in variants
            else:
                target = torch.tensor(continuation, device=logprobs.device)
                picked = logprobs[row, torch.arange(len(continuation)), target]
                score = picked.sum().item()
                greedy = bool((logprobs[row, : len(continuation)].argmax(-1) == target).all())
            results.append((score, greedy))
        return results

    def _loglikelihood_tokens(
        self,
        requests: list[tuple[tuple[str, str], list[int], list[int]]],
        disable_tqdm: bool = False,
        override_bs: int | None = None,
    ) -> list[tuple[float, bool]]:
        by_context: dict[tuple[int, ...], list[int]] = defaultdict(list)
        for index, (_, context_ids, _) in enumerate(requests):
            by_context[tuple(context_ids)].append(index)
        results: list[tuple[float, bool] | None] = [None] * len(requests)
        for context_ids, indices in tqdm(
            by_context.items(), desc="Scoring contexts", disable=disable_tqdm or self.rank != 0
        ):
            continuations = [requests[i][2] for i in indices]
            letters = [self._letter_of(requests[i][0][1]) if requests[i][0] else None for i in indices]
            for index, answer in zip(indices, self.score_context(list(context_ids), continuations, letters)):
                results[index] = answer
                if requests[index][0] is not None:
                    self.cache_hook.add_partial("loglikelihood", requests[index][0], answer)
        return results  # type: ignore[return-value]
