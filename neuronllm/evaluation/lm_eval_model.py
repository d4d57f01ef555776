"""The `neuronllm` lm-eval model: HFLM plus neuron interventions, on every request type.

    lm_eval --model neuronllm --model_args pretrained=embedded,neurons=set.json,op=degrade --tasks aqua_ner_text

Where an intervention acts (hook point blocks.{l}.mlp.hook_post, intervene.py), by request type:
  loglikelihood          scope=answer: the answer position, the last context token, whose next-token
                         distribution picks the option (the position identification attributes);
                         scope=all: every position of context and continuation.
  loglikelihood_rolling  every position (perplexity of a text under the modified model): a rolling
                         window has no answer position.
  generate_until         scope=answer: the last prompt token and every generated token (each position
                         whose next-token distribution produces the answer); scope=all: also the prompt.
Multiple-choice scoring is batched shared-context scoring (neuronllm/scoring/engine.py): each prompt prefix runs once
(a prefix tree), all options of many questions run in one forward; same numbers as HFLM (tested to
1e-4). A letter continuation (" A") is scored as logsumexp of the " A" and "A" tokens (letter_merge).

One NeuronLLM can hold several conditions (`set_conditions`, used by neuronllm.evaluation.evaluate): the first
lm-eval pass scores the requests under all of them, sharing the prefix tree; later passes for the
other conditions read the stored scores. lm-eval's request cache (--use_cache) keys on the request
text only, so this model moves its entries into a table named by its identity: the model's spec,
weights' content hash, revision, dtype, device and load arguments (LoadedModel.identity), the
intervention and the letter merge.
"""

from __future__ import annotations

import hashlib
import json
import string
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from lm_eval.api.registry import register_model
from lm_eval.models.huggingface import HFLM

from neuronllm.errors import UserError, warn
from neuronllm.model.condition import SCOPES, Condition, parse_factor  # noqa: F401 - SCOPES re-exported
from neuronllm.model.intervene import PositionSelector, scaled_neurons
from neuronllm.model.loading import (
    OWN_ARGUMENTS,
    RUNTIME_ARGUMENTS,
    LoadedModel,
    check_arguments,
    hflm_arguments,
    hflm_loading_kwargs,
    loaded_from_hflm,
    provenance_name,
)
from neuronllm.neurons import NeuronSet
from neuronllm.quiet import quiet_lm_eval
from neuronllm.scoring.engine import Question, ScoreCondition, SharedContextScorer
from neuronllm.scoring.prefix_cache import PrefixCache
from neuronllm.scoring.tokens import letter_variants


def _as_bool(value: Any) -> bool:
    return value if isinstance(value, bool) else str(value).lower() in ("1", "true", "yes")


def check_cache_directory(path: str) -> str:
    """A prefix-cache directory: existing or creatable, not a file (checked before anything is scored)."""
    from pathlib import Path

    from neuronllm.atomic import check_writable

    if Path(path).exists() and not Path(path).is_dir():
        raise UserError(f"prefix_cache {path} is a file, not a directory")
    check_writable(Path(path) / ".probe", "prefix_cache")
    return path


def warn_if_other_model(neuron_set: NeuronSet, source: str, loaded: LoadedModel) -> None:
    """Same shape, other model (a LLaMA-2 set applied to a Mistral, say): allowed, but said."""
    found_on = neuron_set.provenance.get("model")
    if found_on and found_on != provenance_name(loaded.spec):
        warn(f"{source} was found on model {found_on!r}; applying it to {provenance_name(loaded.spec)!r}")


@dataclass(frozen=True)
class Applied:
    """A Condition bound to this model's neurons: the set's content digest and each neuron's factor."""

    condition: Condition
    digest: str | None = None
    factors: tuple[tuple[tuple[int, int], float], ...] = ()

    @classmethod
    def build(cls, loaded: LoadedModel, condition: Condition) -> Applied:
        if condition.neurons is None:
            return cls(condition)
        neuron_set = NeuronSet.load(condition.neurons, loaded.neuron_counts)
        factors = condition.checked_factors(neuron_set, condition.neurons)
        warn_if_other_model(neuron_set, condition.neurons, loaded)
        return cls(condition, neuron_set.digest(), tuple(sorted(factors.items())))

    @property
    def scope(self) -> str:
        return self.condition.scope

    def identity(self) -> dict[str, Any]:
        return self.condition.identity(self.digest)

    def scoring(self, scope: str | None = None) -> ScoreCondition:
        return ScoreCondition(self.factors, scope or self.scope)


@register_model("neuronllm")
class NeuronLLM(HFLM):
    def __init__(
        self,
        pretrained: str | LoadedModel | torch.nn.Module = "embedded",
        neurons: str | None = None,
        op: str | None = None,
        part: str | None = None,
        scope: str | None = None,
        factor: float | str | None = None,
        letter_merge: bool | str = True,
        dtype: str | None = None,
        prefix_cache: str | None = None,
        spec: str | None = None,
        tokenizer: Any = None,
        kv_memory_mb: float | str | None = None,
        batch_tokens: int | str = 4096,
        **kwargs: Any,
    ) -> None:
        """`pretrained`: a model spec (embedded / hub id / local dir) loaded through HFLM with every HFLM
        argument (revision, trust_remote_code, peft, parallelize, ...), or an already-loaded
        LoadedModel (or a module with `tokenizer=`), so several conditions share one loaded model.
        `prefix_cache`: a directory where unmodified prefix trees are shared between processes.
        `kv_memory_mb`: keys/values held for a chunk of prompts; `batch_tokens`: past positions per forward.
        Unknown arguments are errors that list the valid ones (a typo must not evaluate another model)."""
        if neurons is None and (op, part, factor) != (None, None, None):
            raise UserError("op/part/factor given without neurons=: that would evaluate the unmodified model")
        # names and the factor are checked before anything loads
        condition = Condition(
            neurons,
            op or "degrade",
            part or "both",
            scope or "answer",
            2.0 if factor in (None, "") else parse_factor(factor, "factor"),
        )
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
            check_arguments(
                kwargs, list(RUNTIME_ARGUMENTS) + list(OWN_ARGUMENTS), "argument beside an already-loaded model"
            )
            kwargs.pop("device", None)  # the loaded model's device is kept
            self.loaded = LoadedModel.wrap(pretrained, tokenizer, spec)
            with quiet_lm_eval():  # HFLM warns that loading arguments would be ignored: none are given
                super().__init__(pretrained=self.loaded.model, tokenizer=self.loaded.tokenizer, **kwargs)
        self.spec = self.loaded.spec
        if kv_memory_mb not in (None, ""):
            memory = float(kv_memory_mb)
        else:  # derived from the memory model and what the device has free (neuronllm/model/memory.py)
            from neuronllm.model.memory import default_kv_memory_mb

            memory = default_kv_memory_mb(self.loaded, int(batch_tokens))
        cache = PrefixCache(self.loaded, check_cache_directory(prefix_cache)) if prefix_cache else None
        self.scorer = SharedContextScorer(self.loaded, memory, int(batch_tokens), progress=self.rank == 0, cache=cache)
        self.prefix_cache = cache
        self.letter_merge = _as_bool(letter_merge)
        self._letter_ids = {
            letter: [ids[0] for ids in letter_variants(self.tokenizer, letter)] for letter in string.ascii_uppercase
        }
        self.conditions = [Applied.build(self.loaded, condition)]
        self.active = 0
        self._scores: dict[int, dict[tuple, tuple[float, bool]]] = {}
        self._scope_override: str | None = None
        self._warned_truncation = False

    # -- conditions -----------------------------------------------------------------------------

    def set_conditions(self, conditions: list[Condition]) -> None:
        """Several conditions, all checked now; the first lm-eval pass scores every request under all of
        them. Select one with `select(index)` before each evaluation."""
        self.conditions = [Applied.build(self.loaded, condition) for condition in conditions]
        self.active = 0
        self._scores = {}

    def select(self, index: int) -> None:
        self.active = index

    @property
    def intervention(self) -> Applied:
        return self.conditions[self.active]

    @property
    def neuron_set_digest(self) -> str | None:
        return self.intervention.digest

    @property
    def neurons_changed(self) -> int:
        return len(self.intervention.factors)

    # -- identity -------------------------------------------------------------------------------

    @property
    def condition(self) -> dict[str, Any]:
        """What distinguishes this model's scores from another run's."""
        return {"model": self.loaded.identity, **self.intervention.identity(), "letter_merge": self.letter_merge}

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

    # -- loglikelihood --------------------------------------------------------------------------

    def _letter_of(self, continuation: str) -> str | None:
        text = continuation.strip()
        if self.letter_merge and len(text) == 1 and text in self._letter_ids:
            return text
        return None

    def _questions(self, requests: list) -> tuple[list[Question], list[tuple[int, int]]]:
        """Requests grouped by the context they are scored with: (questions, where[request] = (question, option)).

        Truncation is HFLM's, request by request: a context + continuation longer than max_length + 1
        keeps its last max_length + 1 tokens (the continuation whole), so the kept context depends on
        the option's length; options whose kept contexts differ become separate questions. A
        continuation longer than max_length cannot be scored (HFLM asserts): refused in one line."""
        by_context: dict[tuple[int, ...], int] = {}
        questions: list[Question] = []
        where = []
        truncated = 0
        for strings, context, continuation in requests:
            letter = self._letter_of(strings[1]) if strings else None
            alternatives = (
                [[i] for i in self._letter_ids[letter]] if letter and len(continuation) == 1 else [list(continuation)]
            )
            longest = max(len(a) for a in alternatives)
            if longest > self.max_length:
                raise UserError(
                    f"a continuation of {longest} tokens is longer than max_length {self.max_length}: "
                    f"it cannot be scored (raise max_length)"
                )
            keep = self.max_length + 1 - longest
            if len(context) > keep:
                truncated += 1
                context = context[-keep:]
            key = tuple(context)
            if key not in by_context:
                by_context[key] = len(questions)
                questions.append(Question(list(context), []))
            question = questions[by_context[key]]
            question.options.append(alternatives)
            where.append((by_context[key], len(question.options) - 1))
        if truncated and not self._warned_truncation:
            self._warned_truncation = True
            warn(
                f"{truncated} of {len(requests)} requests are longer than max_length {self.max_length}: their "
                f"contexts were cut from the left, keeping the tokens HFLM keeps"
            )
        return questions, where

    def _loglikelihood_tokens(
        self,
        requests: list[tuple[tuple[str, str], list[int], list[int]]],
        disable_tqdm: bool = False,
        override_bs: int | None = None,
    ) -> list[tuple[float, bool]]:
        keys = [(tuple(context), tuple(continuation), strings) for strings, context, continuation in requests]
        stored = self._scores.get(self.active, {})
        if self._scope_override is None and all(key in stored for key in keys):
            results = [stored[key] for key in keys]
        else:
            questions, where = self._questions(requests)
            pending = (
                [self.active]
                if self._scope_override
                else [
                    c
                    for c in range(len(self.conditions))
                    if c == self.active or not all(k in self._scores.get(c, {}) for k in keys)
                ]
            )
            scored = self.scorer.score(questions, [self.conditions[c].scoring(self._scope_override) for c in pending])
            for c, per_question in zip(pending, scored):
                if self._scope_override is None:
                    table = self._scores.setdefault(c, {})
                    for key, (q, o) in zip(keys, where):
                        table[key] = per_question[q][o]
                if c == self.active:
                    results = [per_question[q][o] for q, o in where]
        for (strings, _, _), answer in zip(requests, results):
            if strings is not None:
                self.cache_hook.add_partial("loglikelihood", strings, answer)
        return results

    def loglikelihood_rolling(self, requests: list, disable_tqdm: bool = False) -> list[float]:
        """HFLM's rolling windows, with the intervention at every position (module docstring)."""
        self._scope_override = "all"
        try:
            return super().loglikelihood_rolling(requests, disable_tqdm=disable_tqdm)
        finally:
            self._scope_override = None

    # -- generation -----------------------------------------------------------------------------

    @contextmanager
    def _generation_hooks(self) -> Iterator[None]:
        """scope=answer: at each forward of generate(), the last position of every row (left padding puts
        every row's newest token there: the last prompt token first, then each generated token)."""
        if not self.intervention.factors:
            yield
            return
        answer = self.intervention.scope == "answer"
        with scaled_neurons(self.loaded, dict(self.intervention.factors), None) as selector:
            if not answer:
                yield
                return
            handle = self.loaded.model.register_forward_pre_hook(_last_position_setter(selector), with_kwargs=True)
            try:
                yield
            finally:
                handle.remove()

    def _model_generate(
        self, context: torch.Tensor, max_length: int, stop: list[str], **generation_kwargs: Any
    ) -> torch.Tensor:
        with self._generation_hooks():
            return super()._model_generate(context, max_length, stop, **generation_kwargs)


def _last_position_setter(selector: PositionSelector) -> Callable[[torch.nn.Module, tuple, dict], None]:
    def hook(module: torch.nn.Module, args: tuple, kwargs: dict) -> None:
        tokens = kwargs.get("input_ids", args[0] if args else None)
        if tokens is None:
            tokens = kwargs["inputs_embeds"]
        selector.positions = torch.full((tokens.shape[0],), tokens.shape[1] - 1, dtype=torch.long)

    return hook
