"""Batched shared-context scoring of multiple-choice questions: the engine of the `neuronllm` lm-eval model.

lm-eval's HFLM runs every (context, continuation) pair as a row of its own: each option re-reads the
whole prompt, and each forward reads all the weights for a handful of new tokens. Here:

1. Prefix tree. Every question's prefix (the tokens before the answer position) goes into a token
   trie (radix tree). Each segment's keys/values are computed once, with its ancestors' keys/values
   as the past, many segments per forward. AQUA prompts share the role, the rule and often the
   one-shot example, so the cold pass runs a fraction of HFLM's tokens.
2. Option tries. A question's options form one continuation trie rooted at the answer position
   (continuations.py). Many questions' tries run in one forward: row b attends to its own prefix's
   keys/values (left-padded to the batch's longest) and to its own trie ancestry, through a 4D mask,
   at the positions it would have after its own prompt. The weights are read once per batch.
3. Conditions. With scope=answer an intervention acts at the answer position (trie column 0), after
   the prefix: prefix keys/values do not depend on the condition, so every condition reuses them and
   costs one option pass. scope=all runs the prefix tree again under the intervention.

Exact: the arithmetic of HFLM's full rows, up to float rounding (tests: < 1e-4 on every supported
architecture, both answer formats, with and without interventions). A model whose caches cannot be
reused exactly (prefix_kv.py's rule) gets right-padded full rows, batched, per condition.
Memory: questions go in chunks whose prefix tree fits `kv_memory_mb`; a forward holds at most
`batch_tokens` past positions per layer over its rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import torch

from neuronllm.model.intervene import scaled_neurons
from neuronllm.model.loading import LoadedModel
from neuronllm.scoring.continuations import Continuations
from neuronllm.scoring.prefix_kv import last_logits_only, logits_at, prefix_key_values
from neuronllm.scoring.prefix_tree import FixedPastLayer, PrefixTree, left_padded

if TYPE_CHECKING:
    from neuronllm.scoring.prefix_cache import PrefixCache


@dataclass
class Question:
    """context: its last token is the answer position. options[o][a]: tokens of alternative a of option o."""

    context: list[int]
    options: list[list[list[int]]]

    @property
    def prefix(self) -> list[int]:
        return self.context[:-1]

    def continuations(self) -> Continuations:
        return Continuations.build(self.context[-1], self.options)


@dataclass(frozen=True)
class ScoreCondition:
    """factors: {(layer, index): factor}; empty = the unmodified model. scope: answer | all."""

    factors: tuple[tuple[tuple[int, int], float], ...] = ()
    scope: str = "answer"

    @classmethod
    def of(cls, factors: dict[tuple[int, int], float] | None = None, scope: str = "answer") -> ScoreCondition:
        return cls(tuple(sorted((factors or {}).items())), scope)


@dataclass
class _Batch:
    """A laid-out batch (scoring._prepare): reused by every condition that runs over it."""

    input_ids: torch.Tensor
    position_ids: torch.Tensor
    mask: torch.Tensor
    past: list[tuple[torch.Tensor, torch.Tensor]] | None  # per layer [B, kv_heads, widest_past + width, head_dim]
    widest_past: int
    lengths: list[int]
    store_at: list[int | None]

    def cache(self, model: torch.nn.Module) -> Any:  # a Cache of duck-typed FixedPastLayers
        """A transformers Cache over the laid-out buffers (reused by every forward of this batch)."""
        from transformers import DynamicCache
        from transformers.cache_utils import Cache

        if self.past is None:
            return DynamicCache(config=model.config)  # type: ignore[arg-type]  # nn.Module's __getattr__ types a Hugging Face model's attributes as Tensor | Module
        # duck-typed: FixedPastLayer has a cache layer's methods without transformers' mixin base
        layers: list[Any] = [FixedPastLayer(k, v, self.widest_past) for k, v in self.past]
        return Cache(layers=layers)


@dataclass
class _Row:
    past: list[int]  # flat-store positions of its past, in order
    tokens: list[int]
    attend: torch.Tensor  # [L, L] bool among the new tokens
    depths: list[int]  # position of each new token after the past
    store_at: int | None = None  # a tree segment: where its new keys/values go in the flat store


class SharedContextScorer:
    """Scores Questions under several conditions at once (module docstring)."""

    def __init__(
        self,
        loaded: LoadedModel,
        kv_memory_mb: float = 1024,
        batch_tokens: int = 4096,
        progress: bool = False,
        cache: PrefixCache | None = None,
    ):
        self.loaded = loaded
        self.cache = cache
        self.kv_memory_mb = kv_memory_mb
        self.batch_tokens = batch_tokens
        self.progress = progress
        self._reusable: bool | None = None
        self._kv_bytes_per_token: int | None = None
        self._shapes: list[tuple[int, int]] = []

    # -- public ---------------------------------------------------------------------------------

    @torch.no_grad()
    def score(
        self, questions: Sequence[Question], conditions: Sequence[ScoreCondition]
    ) -> list[list[list[tuple[float, bool]]]]:
        """[condition][question][option] -> (log-likelihood, greedy): logsumexp over an option's alternatives
        of Σ_j log p(a_j | context, a_<j); greedy when some alternative is the argmax token by token."""
        results: list[list[list[tuple[float, bool]] | None]] = [[None] * len(questions) for _ in conditions]
        if not questions:
            return results  # type: ignore[return-value]  # every slot is filled above; the list was built of Nones
        if not self._reuse_is_exact(questions):
            for c, condition in enumerate(conditions):
                for q, scores in self._full_rows(questions, condition).items():
                    results[c][q] = scores
            return results  # type: ignore[return-value]  # every slot is filled above; the list was built of Nones
        for chunk in self._chunks(questions):
            tree = PrefixTree()
            ends = [tree.insert(questions[q].prefix) for q in chunk]
            tree.allocate(self._shapes, self.loaded.dtype, self.loaded.device)
            chunk_questions = [questions[q] for q in chunk]
            shared = [c for c, condition in enumerate(conditions) if condition.scope == "answer"]
            if shared:
                prefixes = [q.prefix for q in chunk_questions]
                if self.cache is None or not self.cache.load(prefixes, tree):
                    self._compute_tree(tree, None)
                    if self.cache is not None:
                        self.cache.store(prefixes, tree)
                passes = self._option_pass(chunk_questions, tree, ends, [conditions[c] for c in shared])
                for c, per_question in zip(shared, passes):
                    for q, scores in zip(chunk, per_question):
                        results[c][q] = scores
            for c, condition in enumerate(conditions):
                if condition.scope == "answer":
                    continue
                self._compute_tree(tree, condition)
                for q, scores in zip(chunk, self._option_pass(chunk_questions, tree, ends, [condition])[0]):
                    results[c][q] = scores
        return results  # type: ignore[return-value]  # every slot is filled above; the list was built of Nones

    # -- planning -------------------------------------------------------------------------------

    def _reuse_is_exact(self, questions: Sequence[Question]) -> bool:
        """prefix_kv.py's rule, probed once on a 1-token prefix with the longest suffix of this request set."""
        if self._reusable is None or self._kv_bytes_per_token is None:
            longest = max(len(q.context) + max(len(a) for o in q.options for a in o) for q in questions)
            first = next((q.prefix for q in questions if q.prefix), None)
            probe = prefix_key_values(self.loaded.model, first[:1], longest) if first else None
            self._reusable = probe is not None
            if probe is not None:
                self._kv_bytes_per_token = sum(2 * k.numel() * k.element_size() for k, _ in probe)
                self._shapes = [(k.shape[1], k.shape[-1]) for k, _ in probe]  # (kv_heads, head_dim) per layer
        return self._reusable

    def _chunks(self, questions: Sequence[Question]) -> list[list[int]]:
        """Questions sorted by prefix (neighbours share the most), cut where the tree outgrows the budget."""
        order = sorted(range(len(questions)), key=lambda q: questions[q].prefix)
        budget = max(1, int(self.kv_memory_mb * 2**20 / max(1, self._kv_bytes_per_token or 1)))
        chunks: list[list[int]] = []
        current: list[int] = []
        previous: list[int] = []
        size = 0
        for q in order:
            prefix = questions[q].prefix
            common = 0
            while common < min(len(prefix), len(previous)) and prefix[common] == previous[common]:
                common += 1
            new_tokens = len(prefix) - common if current else len(prefix)
            if current and size + new_tokens > budget:
                chunks.append(current)
                current, size, new_tokens = [], 0, len(prefix)
            current.append(q)
            size += new_tokens
            previous = prefix
        if current:
            chunks.append(current)
        return chunks

    def _batches(self, rows: list[_Row], by: str) -> list[list[int]]:
        """Row indices in batches of at most batch_tokens (past + new) positions per layer.

        Rows of similar new-token counts go together, then similar pasts: a padded new token costs a
        full forward position (every layer and the LM head), a padded past position only attention
        (by="new": prefix-tree segments, longest first; by="trie": option tries, shortest first; on
        commonsense's option tries, sorting by the past first padded them to 2.3x their tokens)."""

        def past(r: int) -> int:
            return len(rows[r].past)

        sign = -1 if by == "new" else 1

        def key(r: int) -> tuple[int, int]:
            return sign * len(rows[r].tokens), past(r)

        batches: list[list[int]] = []
        current: list[int] = []
        widest_past, widest_new = 0, 0
        for r in sorted(range(len(rows)), key=key):
            new_past, new_width = max(widest_past, past(r)), max(widest_new, len(rows[r].tokens))
            if current and (len(current) + 1) * (new_past + new_width) > self.batch_tokens:
                batches.append(current)
                current, new_past, new_width = [], past(r), len(rows[r].tokens)
            current.append(r)
            widest_past, widest_new = new_past, new_width
        if current:
            batches.append(current)
        return batches

    # -- passes ---------------------------------------------------------------------------------

    def _intervention(self, condition: ScoreCondition | None, rows: int) -> AbstractContextManager[object]:
        if condition is None or not condition.factors:
            return nullcontext()
        positions = torch.zeros(rows, dtype=torch.long) if condition.scope == "answer" else None
        return scaled_neurons(self.loaded, dict(condition.factors), positions)

    def _compute_tree(self, tree: PrefixTree, condition: ScoreCondition | None) -> None:
        """Every segment's keys/values into the flat store, level by level (the unmodified model, or
        `condition` at every position)."""
        from tqdm.auto import tqdm

        bar = tqdm(total=tree.size(), desc="Prefix tree", unit="tok", disable=not self.progress, leave=False)
        for level in tree.levels():
            rows = []
            for index in level:
                segment = tree.segments[index]
                length = len(segment.tokens)
                rows.append(
                    _Row(
                        tree.positions(segment.parent),
                        segment.tokens,
                        torch.ones(length, length, dtype=torch.bool).tril(),
                        list(range(length)),
                        segment.offset,
                    )
                )
            for batch in self._batches(rows, by="new"):
                self._run(self._prepare([rows[r] for r in batch], tree), condition, want_logits=False, tree=tree)
                bar.update(sum(len(rows[r].tokens) for r in batch))
        bar.close()

    def _option_pass(
        self, questions: list[Question], tree: PrefixTree, ends: list[int], conditions: list[ScoreCondition]
    ) -> list[list[list[tuple[float, bool]]]]:
        """[condition][question] option scores. Batches outer, conditions inner: each batch's past is
        laid out once and every condition runs over it (one forward each)."""
        tries = [q.continuations() for q in questions]
        rows = [
            _Row(tree.positions(end), trie.tokens, trie.ancestry(), trie.depths()) for trie, end in zip(tries, ends)
        ]
        out: list[list[list[tuple[float, bool]] | None]] = [[None] * len(rows) for _ in conditions]
        # Logits only at the trie nodes an option's term is read at (never a leaf, never padding).
        kept = [torch.unique(trie.node) for trie in tries]
        for batch in self._batches(rows, by="trie"):
            prepared = self._prepare([rows[r] for r in batch], tree)
            count = max(len(kept[r]) for r in batch)
            positions = torch.stack([torch.cat([kept[r], kept[r][-1:].expand(count - len(kept[r]))]) for r in batch])
            for c, condition in enumerate(conditions):
                logits = self._run(prepared, condition, want_logits=True, positions=positions)
                for b, r in enumerate(batch):
                    columns = torch.searchsorted(kept[r], tries[r].node)
                    out[c][r] = tries[r].option_results(logits[b : b + 1, : len(kept[r])], columns)
        return out  # type: ignore[return-value]  # every row of every condition is filled by the loop

    def _prepare(self, rows: list[_Row], tree: PrefixTree) -> _Batch:
        """Row b = its past (left-padded to the batch's widest) + its new tokens, attending as `attend` says."""
        dtype = self.loaded.dtype
        pasts = [len(row.past) for row in rows]
        widest_past, width = max(pasts), max(len(row.tokens) for row in rows)
        allowed = torch.zeros(len(rows), width, widest_past + width, dtype=torch.bool)
        input_ids = torch.zeros(len(rows), width, dtype=torch.long)
        position_ids = torch.zeros(len(rows), width, dtype=torch.long)
        for b, (row, past) in enumerate(zip(rows, pasts)):
            length = len(row.tokens)
            input_ids[b, :length] = torch.tensor(row.tokens)
            position_ids[b, :length] = torch.tensor(row.depths) + past
            position_ids[b, length:] = past + (max(row.depths) if row.depths else 0)
            allowed[b, :length, widest_past - past : widest_past] = True
            allowed[b, :length, widest_past : widest_past + length] = row.attend
            allowed[b, length:, widest_past] = True  # padding rows see one token: no empty softmax
        device = self.loaded.device
        mask = torch.zeros(allowed.shape, dtype=dtype).masked_fill(~allowed, torch.finfo(dtype).min)[:, None]
        past_key_values = left_padded([row.past for row in rows], widest_past, tree, width) if widest_past else None
        return _Batch(
            input_ids.to(device),
            position_ids.to(device),
            mask.to(device),
            past_key_values,
            widest_past,
            [len(row.tokens) for row in rows],
            [row.store_at for row in rows],
        )

    def _run(
        self,
        batch: _Batch,
        condition: ScoreCondition | None,
        want_logits: bool,
        tree: PrefixTree | None = None,
        positions: torch.Tensor | None = None,
    ) -> Any:
        """Logits [B, K, vocab] float32 at each row's `positions` [B, K] (want_logits), else the new tokens'
        keys/values written into the tree's flat store at each row's `store_at`. The batch's cache is laid
        out once (past + room for the new tokens) and every forward over it writes into that room: nothing
        is copied per condition."""
        model = self.loaded.model
        cache = batch.cache(model)
        forward = {
            "input_ids": batch.input_ids,
            "position_ids": batch.position_ids,
            "attention_mask": batch.mask,
            "cache": cache,
            "use_cache": True,
        }
        with self._intervention(condition, batch.input_ids.shape[0]):
            if want_logits:
                assert positions is not None, "a scoring pass names the positions whose logits it reads"
                return logits_at(model, positions.to(batch.input_ids.device), **forward).float()
            model(**forward, **last_logits_only(model))
        assert tree is not None, "a pass that stores keys/values needs the tree to store them in"
        start = batch.widest_past
        for layer, (keys, values) in enumerate(zip(tree.keys, tree.values)):
            for b, (length, at) in enumerate(zip(batch.lengths, batch.store_at)):
                assert at is not None, "every row of a storing pass is a tree segment"
                keys[:, at : at + length] = cache.layers[layer].keys[b, :, start : start + length]
                values[:, at : at + length] = cache.layers[layer].values[b, :, start : start + length]
        return None

    def _full_rows(
        self, questions: Sequence[Question], condition: ScoreCondition
    ) -> dict[int, list[tuple[float, bool]]]:
        """The fallback: right-padded rows of context + alternative[:-1], as HFLM runs them (causal: real
        tokens never see later pads), batched by batch_tokens."""
        model, device = self.loaded.model, self.loaded.device
        jobs = []  # (question, distinct input row)
        for q, question in enumerate(questions):
            inputs = sorted({tuple(a[:-1]) for option in question.options for a in option})
            jobs += [(q, row) for row in inputs]
        results: dict[int, list[tuple[float, bool]]] = {}
        logprobs_of: dict[tuple[int, tuple[int, ...]], torch.Tensor] = {}
        start = 0
        while start < len(jobs):
            stop, width = start, 0
            while stop < len(jobs):
                q, row = jobs[stop]
                new_width = max(width, len(questions[q].context) + len(row))
                if stop > start and (stop - start + 1) * new_width > self.batch_tokens:
                    break
                width, stop = new_width, stop + 1
            batch = jobs[start:stop]
            ids = torch.zeros(len(batch), width, dtype=torch.long)
            for b, (q, row) in enumerate(batch):
                sequence = questions[q].context + list(row)
                ids[b, : len(sequence)] = torch.tensor(sequence)
            answers = torch.tensor([len(questions[q].context) - 1 for q, _ in batch])
            positions = answers if condition.scope == "answer" else None
            factors = dict(condition.factors)
            with scaled_neurons(self.loaded, factors, positions) if factors else nullcontext():
                logits = model(input_ids=ids.to(device), use_cache=False).logits.float()
            for b, (q, row) in enumerate(batch):
                answer = int(answers[b])
                logprobs_of[(q, row)] = torch.log_softmax(logits[b, answer : answer + len(row) + 1], dim=-1)
            start = stop
        for q, question in enumerate(questions):
            scores = []
            for option in question.options:
                values, greedy = [], False
                for alternative in option:
                    logprobs = logprobs_of[(q, tuple(alternative[:-1]))]
                    targets = torch.tensor(alternative)
                    picked = logprobs[torch.arange(len(alternative)), targets]
                    values.append(picked.sum())
                    greedy |= bool((logprobs[: len(alternative)].argmax(-1) == targets).all())
                scores.append((torch.logsumexp(torch.stack(values), dim=0).item(), greedy))
            results[q] = scores
        return results
