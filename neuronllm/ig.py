"""Integrated gradients of FFN neurons at the answer position (METHOD.md §3, eq. 1).

A layer's neuron vector n_l ∈ R^{d_ff} is the input of its FFN output projection (models.py) at the
*answer position* T-1, the last prompt token. Attribution scales ALL neurons of ONE layer there by α
(every other layer and position untouched) and integrates along that path (right Riemann sum, m steps):

    IG(w) = (ŵ/m) · Σ_{k=1..m} ∂F(k·ŵ/m)/∂w                          [eq. 1]

Completeness: Σ_i IG_i ≈ F(ŵ) − F(0) for each layer, up to the Riemann error.

F is computed in float32 from option scores. An option is a list of alternative token continuations
(letter format: " A" and "A"; text format: the tokens of " " + option text), and
    score(o)       = logsumexp_a Σ_j log p(a_j | prompt, a_<j)         [eq. 2]
    contrastive:   F = score(gold) − logsumexp_o score(o)              (CNI: log-softmax over the options)
    gold_prob:     F = exp(score(gold))                                (KN, QRNCA: whole-vocabulary probability)
    gold_logprob:  F = score(gold)                                     (TN's task loss is −F)

Two engines compute the same numbers (to float rounding; tests/test_ig.py checks < 1e-4 relative):
- `naive`, the reference: for every layer and every k, one forward over the full prompt followed by
  each continuation (one row per distinct continuation input) and one backward.
- `cached`: attention is causal and the patch and every scored token sit at or after T-1, so the
  prompt prefix [0, T-1) is the same for every (layer, step). It is run ONCE into a KV cache. Each
  (layer, step) group then only needs the continuation trie: the last prompt token plus the option
  tokens, shared beginnings once (letter options: the single answer token). Many groups are packed
  end to end into one sequence of batch 1 on top of the cache; a 4D attention mask lets every token
  see the prefix and its own ancestors only, and position_ids give it the position it would have
  after the prompt, so each group computes exactly what the naive row computes. Per chunk of
  `layer_batch` layers, each layer has one leaf [m+1, d_ff] (row k = α_k·n̂_l) whose row k replaces
  the answer-position input of that layer in group (layer, k) only; F is summed over the chunk's
  groups and back-propagated once per pass of at most `pass_tokens` tokens. Parameters are frozen
  (requires_grad restored after). Models the packed pass cannot serve exactly (no DynamicCache,
  attention other than eager/sdpa, a sliding window shorter than the prompt) get the same batching
  with full prompt rows instead (`_FullRowLayout`): slower, same numbers.
  Layers below a chunk's lowest layer l compute the same thing in every group, so they run once:
  one no-grad forward of a single group records the hidden state entering decoder layer l, and each
  pass then runs the decoder stack from l on (the model's own forward, its layer list temporarily
  sliced, that hidden state as inputs_embeds). Whether a model's forward re-enters exactly this way
  (GPT-2 adds position embeddings to inputs_embeds, Gemma scales them) is checked at run time on
  that single group against the full forward; where it is not exact, every layer is run.
  Several objectives share each forward (`integrated_gradients_many`): one backward per objective.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import torch
from torch import nn

from neuronllm.errors import UserError
from neuronllm.models import ffn_output_projections, neuron_counts
from neuronllm.tokens import encode_pair, letter_variants

if TYPE_CHECKING:
    from transformers import PreTrainedTokenizerBase

OBJECTIVES = ("contrastive", "gold_prob", "gold_logprob")
ENGINES = ("cached", "naive")
ANSWER_FORMATS = ("letter", "text")
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
PASS_TOKENS = 512  # cached engine: tokens per batched pass (memory, and the packed mask's N² attention)


# ----------------------------------------------------------------------------------------------
# What is scored


@dataclass(frozen=True)
class ProxyTokens:
    """One proxy QA as token ids.

    prompt_ids: the context; its last token is the answer position.
    options[o][a]: the token ids of alternative a of option o (score(o) = logsumexp over a).
    gold: index of the correct option.
    """

    prompt_ids: list[int]
    options: list[list[list[int]]]
    gold: int

    def __post_init__(self) -> None:
        if not self.prompt_ids:
            raise UserError("proxy QA has an empty prompt")
        if len(self.options) < 1 or not (0 <= self.gold < len(self.options)):
            raise UserError(f"gold option {self.gold} is not one of the {len(self.options)} options")
        for o, alternatives in enumerate(self.options):
            if not alternatives or any(len(a) == 0 for a in alternatives):
                raise UserError(f"option {o} has no tokens to score")

    @property
    def answer_position(self) -> int:
        return len(self.prompt_ids) - 1

    def alternatives(self) -> list[tuple[int, list[int]]]:
        """(option index, tokens) of every alternative, flattened in option order."""
        return [(o, list(a)) for o, alts in enumerate(self.options) for a in alts]


def proxy_tokens(
    tokenizer: "PreTrainedTokenizerBase",
    prompt: str,
    option_texts: Sequence[str],
    gold: int,
    answer_format: Literal["letter", "text"] = "letter",
) -> ProxyTokens:
    """Tokenize a proxy QA the way the evaluation scores it (tokens.py).

    letter: option o is the letter LETTERS[o], scored by its single-token spellings (" A", "A").
    text:   option o is the continuation " " + option_texts[o], split from the prompt by encode_pair.
    """
    if answer_format not in ANSWER_FORMATS:
        raise UserError(f"unknown answer format {answer_format!r}: expected one of {', '.join(ANSWER_FORMATS)}")
    if not option_texts:
        raise UserError("a proxy QA needs at least one option")
    if answer_format == "letter":
        if len(option_texts) > len(LETTERS):
            raise UserError(f"{len(option_texts)} options: at most {len(LETTERS)} letters are supported")
        prompt_ids, _ = encode_pair(tokenizer, prompt, " " + LETTERS[0])
        options = [letter_variants(tokenizer, LETTERS[o]) for o in range(len(option_texts))]
        return ProxyTokens(list(prompt_ids), options, gold)
    prompt_ids: list[int] | None = None
    options = []
    for text in option_texts:
        context_ids, continuation_ids = encode_pair(tokenizer, prompt, " " + text)
        if prompt_ids is not None and list(context_ids) != prompt_ids:
            raise UserError(f"option {text!r} changes the tokenization of the prompt")
        prompt_ids = list(context_ids)
        if not continuation_ids:
            raise UserError(f"option {text!r} tokenizes to nothing")
        options.append([list(continuation_ids)])
    return ProxyTokens(prompt_ids or [], options, gold)


def objective_from_scores(option_scores: torch.Tensor, gold: int, objective: str) -> torch.Tensor:
    """F from option scores: [..., n_options] float32 -> [...] (see the module docstring)."""
    gold_score = option_scores[..., gold]
    if objective == "contrastive":
        return gold_score - torch.logsumexp(option_scores, dim=-1)
    if objective == "gold_prob":
        return gold_score.exp()
    if objective == "gold_logprob":
        return gold_score
    raise UserError(f"unknown IG objective {objective!r}: expected one of {', '.join(OBJECTIVES)}")


@dataclass
class IGResult:
    """Attributions of one proxy QA.

    attributions: [n_layers, d_ff] float32 cpu, IG of eq. 1 (row i is model layer layers[i]).
    f_full:       [n_layers] F at α = 1 (the unmodified model).
    f_zero:       [n_layers] F with that layer's answer-position neurons zeroed (α = 0).
    activations:  [n_layers, d_ff] n̂, the unmodified answer-position neurons.
    layers:       which model layers the rows are (all of them by default).
    """

    attributions: torch.Tensor
    f_full: torch.Tensor
    f_zero: torch.Tensor
    activations: torch.Tensor
    layers: list[int]
    objective: str
    steps: int


# ----------------------------------------------------------------------------------------------
# Model plumbing shared by the engines


def _input_device(model: nn.Module) -> torch.device:
    return model.get_input_embeddings().weight.device


@contextmanager
def _frozen(model: nn.Module) -> Iterator[None]:
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


@contextmanager
def _pre_hooks(modules: Sequence[nn.Module], hooks: Sequence) -> Iterator[None]:
    handles = []
    try:
        for module, hook in zip(modules, hooks):
            handles.append(module.register_forward_pre_hook(hook))
        yield
    finally:
        for handle in handles:
            handle.remove()


def _check_layers(model: nn.Module, layers: Sequence[int] | None) -> tuple[list[int], int]:
    counts = neuron_counts(model)
    if len(set(counts)) != 1:
        raise UserError(f"layers have different neuron counts {sorted(set(counts))}: not supported")
    chosen = list(range(len(counts))) if layers is None else [int(layer) for layer in layers]
    bad = [layer for layer in chosen if not 0 <= layer < len(counts)]
    if bad or not chosen or len(set(chosen)) != len(chosen):
        raise UserError(f"layers {list(layers or [])} must be distinct and within 0..{len(counts) - 1}")
    return chosen, counts[0]


def _pad_rows(rows: Sequence[Sequence[int]], pad_id: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-pad token rows: (input_ids [n, S], attention_mask [n, S])."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = torch.tensor(row, dtype=torch.long)
        mask[i, : len(row)] = 1
    return ids, mask


def answer_activations(model: nn.Module, prompt_ids: Sequence[int]) -> torch.Tensor:
    """n̂: the FFN neurons at the last prompt token, every layer, from one forward. [n_layers, d_ff] float32 cpu."""
    projections = ffn_output_projections(model)
    captured: list[torch.Tensor | None] = [None] * len(projections)

    def capture(layer: int):
        def hook(module: nn.Module, args: tuple):
            captured[layer] = args[0][0, -1].detach().float().cpu()

        return hook

    ids = torch.tensor([list(prompt_ids)], dtype=torch.long, device=_input_device(model))
    with torch.no_grad(), _pre_hooks(projections, [capture(i) for i in range(len(projections))]):
        model(input_ids=ids, use_cache=False, **_last_logits_only(model))
    return torch.stack(captured)  # type: ignore[arg-type]


def _last_logits_only(model: nn.Module) -> dict:
    """`logits_to_keep=1` where the model's forward takes it: skips the vocabulary projection of
    positions whose logits are never read (a 300-token prompt's 300 × vocab matmul)."""
    return {"logits_to_keep": 1} if "logits_to_keep" in inspect.signature(model.forward).parameters else {}


def _progress(enabled: bool, total: int, desc: str):
    from tqdm.auto import tqdm

    return tqdm(total=total, desc=desc, disable=not enabled)


def _projection_device(module: nn.Module, fallback: torch.device) -> torch.device:
    weight = getattr(module, "weight", None)
    return weight.device if isinstance(weight, torch.Tensor) else fallback


# ----------------------------------------------------------------------------------------------
# Naive engine: full sequences, one (layer, step) at a time


def _full_sequence_f(model: nn.Module, proxy: ProxyTokens, objective: str) -> torch.Tensor:
    """F (scalar float32) from one forward over the full prompt followed by each continuation.

    Row r = prompt + a[:-1] for each distinct a[:-1] (all single-token alternatives share the bare
    prompt), right-padded and masked; log p(a_j | prompt, a_<j) is read at position T-1+j of a's row.
    Hooks installed by the caller act during this forward.
    """
    alternatives = proxy.alternatives()
    answer = proxy.answer_position
    inputs = sorted({tuple(tokens[:-1]) for _, tokens in alternatives})
    ids, mask = _pad_rows([proxy.prompt_ids + list(row) for row in inputs])
    device = _input_device(model)
    logits = model(input_ids=ids.to(device), attention_mask=mask.to(device), use_cache=False).logits
    logprobs = torch.log_softmax(logits[:, answer:].float(), dim=-1)  # [rows, max len, vocab], from T-1 on
    alt_scores = []
    for _, tokens in alternatives:
        row = inputs.index(tuple(tokens[:-1]))
        positions = torch.arange(len(tokens), device=logprobs.device)  # T-1+j in the full sequence
        targets = torch.tensor(tokens, device=logprobs.device)
        alt_scores.append(logprobs[row, positions, targets].sum())
    option_scores = torch.stack(
        [
            torch.logsumexp(torch.stack([s for (o, _), s in zip(alternatives, alt_scores) if o == option]), dim=0)
            for option in range(len(proxy.options))
        ]
    )
    return objective_from_scores(option_scores, proxy.gold, objective)


def _naive(
    model: nn.Module, proxy: ProxyTokens, objective: str, steps: int, layers: list[int], d_ff: int, progress: bool
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """The reference: for every layer and every k = 0..m a full forward, and a backward for k >= 1."""
    projections = ffn_output_projections(model)
    answer = proxy.answer_position
    n_hat = answer_activations(model, proxy.prompt_ids)[layers]  # [len(layers), d_ff]
    attributions = torch.zeros(len(layers), d_ff)
    f_full = torch.zeros(len(layers))
    f_zero = torch.zeros(len(layers))
    bar = _progress(progress, total=len(layers) * (steps + 1), desc="IG naive")
    for i, layer in enumerate(layers):
        proj = projections[layer]
        device = _projection_device(proj, _input_device(model))
        gradient_sum = torch.zeros(d_ff, device=device)
        for k in range(steps + 1):
            w = ((k / steps) * n_hat[i]).to(device).requires_grad_(k > 0)  # leaf [d_ff]: the path point k·ŵ/m

            def replace(module: nn.Module, args: tuple, w: torch.Tensor = w) -> tuple:
                hidden = args[0].clone()  # [rows, pos, d_ff]
                hidden[:, answer, :] = w.to(hidden.dtype)
                return (hidden, *args[1:])

            with _pre_hooks([proj], [replace]), torch.set_grad_enabled(k > 0):
                f = _full_sequence_f(model, proxy, objective)
            if k > 0:
                f.backward()
                gradient_sum += w.grad
            if k == 0:
                f_zero[i] = f.detach().cpu()
            if k == steps:
                f_full[i] = f.detach().cpu()
            bar.update(1)
        attributions[i] = n_hat[i] * gradient_sum.float().cpu() / steps
    bar.close()
    return attributions, f_full, f_zero, n_hat


# ----------------------------------------------------------------------------------------------
# Cached engine: the prompt prefix once, then short continuation rows for many (layer, step) pairs


@dataclass
class _Continuations:
    """What one (layer, step) group scores: every alternative's tokens, as a trie on the answer position.

    Node 0 is the last prompt token (the answer position); every other node is one token appended to
    its parent. Alternative a is read along the path root, a_0, ..., a_{n-2}: log p(a_j | prompt, a_<j)
    comes from the logits at the node of a_<j (the root for j = 0). Beginnings shared by alternatives
    are computed once, so letter options (all single tokens) need the root alone.
    Term t: token `token[t]` of alternative `alt[t]`, predicted at node `node[t]`.
    """

    tokens: list[int]  # [n_nodes]; tokens[0] is the last prompt token
    parents: list[int]  # [n_nodes]; -1 for the root, otherwise an earlier node
    alt: torch.Tensor  # [n_terms]
    node: torch.Tensor  # [n_terms]
    token: torch.Tensor  # [n_terms]
    alt_option: list[int]  # [n_alternatives] option of each alternative

    @classmethod
    def build(cls, proxy: ProxyTokens) -> "_Continuations":
        node_of: dict[tuple[int, ...], int] = {(): 0}
        tokens, parents = [proxy.prompt_ids[-1]], [-1]
        alt, node, token = [], [], []
        for a, (_, continuation) in enumerate(proxy.alternatives()):
            for j, target in enumerate(continuation):
                before = tuple(continuation[:j])
                if before not in node_of:  # its parent before[:-1] exists: j grows one token at a time
                    node_of[before] = len(tokens)
                    tokens.append(before[-1])
                    parents.append(node_of[before[:-1]])
                alt.append(a)
                node.append(node_of[before])
                token.append(target)
        as_long = lambda values: torch.tensor(values, dtype=torch.long)  # noqa: E731
        return cls(tokens, parents, as_long(alt), as_long(node), as_long(token), [o for o, _ in proxy.alternatives()])

    def depths(self) -> list[int]:
        depth = [0] * len(self.tokens)
        for n in range(1, len(self.tokens)):
            depth[n] = depth[self.parents[n]] + 1
        return depth

    def ancestry(self) -> torch.Tensor:
        """[n_nodes, n_nodes] bool: node j is node i or one of its ancestors (what i may attend to)."""
        allowed = torch.eye(len(self.tokens), dtype=torch.bool)
        for n in range(1, len(self.tokens)):
            allowed[n] |= allowed[self.parents[n]]
        return allowed

    def paths(self) -> tuple[list[list[int]], list[tuple[int, int]]]:
        """Root-to-leaf token rows, and for every node one (row, position) where it sits."""
        has_child = set(self.parents)
        rows, where = [], [(-1, -1)] * len(self.tokens)
        for leaf in (n for n in range(len(self.tokens)) if n not in has_child):
            path = [leaf]
            while self.parents[path[-1]] != -1:
                path.append(self.parents[path[-1]])
            path.reverse()
            for position, n in enumerate(path):
                if where[n] == (-1, -1):
                    where[n] = (len(rows), position)
            rows.append([self.tokens[n] for n in path])
        return rows, where

    def option_scores(self, logits: torch.Tensor, columns: torch.Tensor, proxy: ProxyTokens) -> torch.Tensor:
        """Eq. 2 per group: logits [G, C, vocab], term t read at column columns[t] -> [G, n_options] float32."""
        device = logits.device
        needed, inverse = torch.unique(columns.to(device), return_inverse=True)
        selected = logits[:, needed].float()  # [G, n_needed, vocab]
        log_norm = torch.logsumexp(selected, dim=-1)  # [G, n_needed]
        token = self.token.to(device)
        term_logprob = selected[:, inverse, token] - log_norm[:, inverse]  # [G, n_terms]
        alt_scores = torch.zeros(logits.shape[0], len(self.alt_option), device=device)
        alt_scores = alt_scores.index_add(1, self.alt.to(device), term_logprob)  # eq. 2: Σ_j log p(a_j | …)
        option_scores = torch.stack(
            [
                torch.logsumexp(alt_scores[:, [a for a, o in enumerate(self.alt_option) if o == option]], dim=-1)
                for option in range(len(proxy.options))
            ],
            dim=-1,
        )  # [G, n_options]
        return option_scores


def _model_cache(output: object) -> object:
    cache = getattr(output, "cache", None)
    return cache if cache is not None else getattr(output, "past_key_values", None)


def prefix_key_values(
    model: nn.Module, prefix_ids: Sequence[int], suffix_length: int = 1
) -> list[tuple[torch.Tensor, torch.Tensor]] | None:
    """Keys and values of the prompt prefix, per layer [1, kv_heads, P, head_dim], from one no-grad forward.

    None when the packed cached pass would not be exact for this model: attention other than eager
    or sdpa (a custom 4D mask is needed), a cache that is not a transformers DynamicCache of plain
    tensors (legacy remote code), or a sliding window shorter than prefix + suffix_length.
    """
    from transformers import DynamicCache

    if not prefix_ids:
        return None
    if getattr(model.config, "_attn_implementation", "eager") not in ("eager", "sdpa"):
        return None
    ids = torch.tensor([list(prefix_ids)], dtype=torch.long, device=_input_device(model))
    with torch.no_grad():
        cache = _model_cache(model(input_ids=ids, use_cache=True, **_last_logits_only(model)))
    if not isinstance(cache, DynamicCache):
        return None
    key_values = []
    for layer in cache.layers:
        keys, values = getattr(layer, "keys", None), getattr(layer, "values", None)
        if not (isinstance(keys, torch.Tensor) and isinstance(values, torch.Tensor)) or keys.dim() != 4:
            return None
        if keys.shape[0] != 1 or keys.shape[-2] != len(prefix_ids) or values.shape[-2] != len(prefix_ids):
            return None
        window = getattr(layer, "sliding_window", None) if getattr(layer, "is_sliding", False) else None
        if window is not None and len(prefix_ids) + suffix_length > int(window):
            return None  # the packed mask below is full causal attention
        key_values.append((keys, values))
    return key_values if len(key_values) == len(ffn_output_projections(model)) else None


class _PackedLayout:
    """`groups` copies of the continuation trie laid end to end in ONE sequence after the cached prefix.

    No padding. A token sees the whole prefix and its own ancestors in its own group's trie, nothing
    else: the additive 4D mask makes every path attend exactly as if it were appended to the prompt
    alone, at the positions (position_ids) it would have there. So all groups share one prefix cache
    of batch 1 and nothing of size rows × prefix is ever materialised. Attention over the packed tokens
    costs N·(P + N) instead of N·P, which is why a pass is limited to `pass_tokens` tokens.
    """

    def __init__(
        self, trie: _Continuations, groups: int, key_values: list, dtype: torch.dtype, device: torch.device
    ):
        prefix_length = key_values[0][0].shape[-2]
        self.key_values = key_values
        self.width = len(trie.tokens)  # columns per group; column 0 of a group is its answer position
        self.answers_per_group = 1
        self.term_columns = trie.node
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
        """[groups, width, vocab]. A fresh DynamicCache per pass: a forward appends to its cache in place.

        entry: one group's hidden state [1, width, d_model] entering the first decoder layer that the
        caller's `_DecoderStack.starting_at` left in the model; every group starts from it.
        """
        from transformers import DynamicCache

        cache = DynamicCache(ddp_cache_data=list(self.key_values), config=model.config)
        tokens = {"input_ids": self.input_ids}
        if entry is not None:
            tokens = {"inputs_embeds": entry.repeat(1, self.input_ids.shape[1] // self.width, 1)}
        logits = model(
            **tokens, position_ids=self.position_ids, attention_mask=self.mask, cache=cache, use_cache=True
        ).logits
        return logits.view(-1, self.width, logits.shape[-1])


class _DecoderStack:
    """The model's list of decoder layers (the ModuleList holding the FFN projections, found by
    identity, not by name), so that a forward can start at layer l: see the module docstring."""

    def __init__(self, model: nn.Module):
        self.parent: nn.Module | None = None
        projections = ffn_output_projections(model)
        for name, module in model.named_modules():
            if isinstance(module, nn.ModuleList) and len(module) == len(projections):
                if all(any(p is m for m in layer.modules()) for layer, p in zip(module, projections)):
                    parent_name, _, self.attribute = name.rpartition(".")
                    self.parent, self.layers = model.get_submodule(parent_name), module
                    break

    @contextmanager
    def entries(self, layers: Sequence[int]) -> Iterator[dict[int, torch.Tensor]]:
        """Record the hidden state entering each of these decoder layers during the block's forwards."""
        recorded: dict[int, torch.Tensor] = {}

        def record(layer: int):
            def hook(module: nn.Module, args: tuple, kwargs: dict) -> None:
                recorded[layer] = (args[0] if args else kwargs["hidden_states"]).detach()

            return hook

        handles = [self.layers[j].register_forward_pre_hook(record(j), with_kwargs=True) for j in layers]
        try:
            yield recorded
        finally:
            for handle in handles:
                handle.remove()

    @contextmanager
    def starting_at(self, layer: int) -> Iterator[None]:
        """Inside the block the model's decoder list is layers[layer:] (the same modules)."""
        assert self.parent is not None
        setattr(self.parent, self.attribute, nn.ModuleList(list(self.layers)[layer:]))
        try:
            yield
        finally:
            setattr(self.parent, self.attribute, self.layers)


def _exact_entries(
    model: nn.Module,
    stack: _DecoderStack,
    layout: "_PackedLayout",
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


class _FullRowLayout:
    """Fallback for models the packed pass cannot serve: one row per root-to-leaf path of the trie,
    each the whole prompt + path, right-padded (causal attention: real tokens never see later pads,
    so no mask is needed). Batch row = group·U + u; every row's answer position is replaced."""

    def __init__(self, trie: _Continuations, groups: int, proxy: ProxyTokens, device: torch.device):
        paths, where = trie.paths()
        ids, _ = _pad_rows([proxy.prompt_ids[:-1] + path for path in paths])  # [U, S]
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


def _cached(
    model: nn.Module,
    proxy: ProxyTokens,
    objectives: Sequence[str],
    steps: int,
    layers: list[int],
    d_ff: int,
    layer_batch: int,
    pass_tokens: int,
    progress: bool,
) -> tuple[dict[str, tuple[torch.Tensor, torch.Tensor, torch.Tensor]], torch.Tensor]:
    """Prefix-cached IG; the same numbers as `_naive` (module docstring).

    Layers are taken `layer_batch` at a time; their (layer, step) groups g = slot·(m+1) + k (slot:
    layer in the chunk, k = 0..m, α_k = k/m) are run in passes of at most `pass_tokens` tokens. The
    leaf of a chunk layer is [m+1, d_ff] with row k = α_k·n̂; row k replaces the answer-position input
    of that layer in group (slot, k)'s rows only. Each objective's gradients accumulate over the passes;
    k = 0 gives f_zero and stays out of the backward, k = m gives f_full.
    Returns {objective: (attributions, f_full, f_zero)} and n̂.
    """
    projections = ffn_output_projections(model)
    device = _input_device(model)
    trie = _Continuations.build(proxy)
    prefix = proxy.prompt_ids[:-1]
    key_values = prefix_key_values(model, prefix, max(trie.depths()) + 1)
    dtype = next(model.parameters()).dtype
    chunks = [layers[start : start + layer_batch] for start in range(0, len(layers), layer_batch)]
    entries: dict[int, torch.Tensor] = {}  # hidden state entering decoder layer l, for chunks starting at l
    stack = _DecoderStack(model)
    if key_values is not None:
        make_layout = lambda groups: _PackedLayout(trie, groups, key_values, dtype, device)  # noqa: E731
        # One group, unmodified: n̂ (the answer-position neurons, column 0) and the entries.
        captured: dict[int, torch.Tensor] = {}

        def capture(layer: int):
            def hook(module: nn.Module, args: tuple) -> None:
                captured[layer] = args[0][0, 0].detach().float().cpu()

            return hook

        starts = sorted({min(chunk) for chunk in chunks} - {0})
        one_group = make_layout(1)
        if stack.parent is None:
            starts = []
        with torch.no_grad(), _pre_hooks([projections[j] for j in layers], [capture(j) for j in layers]):
            with stack.entries(starts) if starts else nullcontext({}) as recorded:
                reference = one_group.logits(model)
        n_hat = torch.stack([captured[j] for j in layers])  # [len(layers), d_ff]
        if starts:
            entries = _exact_entries(model, stack, one_group, dict(recorded), reference)
    else:
        make_layout = lambda groups: _FullRowLayout(trie, groups, proxy, device)  # noqa: E731
        n_hat = answer_activations(model, proxy.prompt_ids)[layers]
    group_tokens = make_layout(1).input_ids.numel()
    groups_per_pass = max(1, pass_tokens // group_tokens)

    alphas = torch.arange(steps + 1, dtype=torch.float32) / steps  # [m+1]: α_k = k/m
    out = {o: (torch.zeros(len(layers), d_ff), torch.zeros(len(layers)), torch.zeros(len(layers))) for o in objectives}
    layouts: dict[int, object] = {}
    bar = _progress(progress, total=len(layers), desc="IG cached" if key_values is not None else "IG full rows")
    done = 0
    for chunk in chunks:
        leaves = []
        for slot, layer in enumerate(chunk):
            proj_device = _projection_device(projections[layer], device)
            leaves.append((alphas[:, None] * n_hat[done + slot][None, :]).to(proj_device).requires_grad_(True))
        gradients = {o: [torch.zeros_like(leaf) for leaf in leaves] for o in objectives}
        f = {o: torch.zeros(len(chunk) * (steps + 1)) for o in objectives}  # F of every group of the chunk
        entry = entries.get(min(chunk))
        for first in range(0, len(chunk) * (steps + 1), groups_per_pass):
            last = min(first + groups_per_pass, len(chunk) * (steps + 1))
            if (last - first) not in layouts:
                layouts[last - first] = make_layout(last - first)
            layout = layouts[last - first]
            modules, hooks, used = [], [], []
            for slot, layer in enumerate(chunk):
                low, high = max(first, slot * (steps + 1)), min(last, (slot + 1) * (steps + 1))
                if low >= high:
                    continue  # this layer has no group in this pass
                pass_groups = torch.arange(low, high)
                batch_index, position_index = layout.answer_index(pass_groups - first)
                values = leaves[slot][pass_groups - slot * (steps + 1)]  # rows α_k·n̂ of these groups' k
                values = values.repeat_interleave(layout.answers_per_group, dim=0)
                index = (batch_index.to(values.device), position_index.to(values.device))

                def replace(module: nn.Module, args: tuple, index: tuple = index, values: torch.Tensor = values):
                    hidden = args[0]  # [batch, pos, d_ff]
                    return (hidden.index_put(index, values.to(hidden.dtype)), *args[1:])

                modules.append(projections[layer])
                hooks.append(replace)
                used.append(slot)
            skip = stack.starting_at(min(chunk)) if entry is not None else nullcontext()
            with skip, _pre_hooks(modules, hooks), torch.enable_grad():
                logits = layout.logits(model, entry) if entry is not None else layout.logits(model)
                option_scores = trie.option_scores(logits, layout.term_columns, proxy)  # [groups, n_options]
                on_path = ((torch.arange(first, last) % (steps + 1)) != 0).to(option_scores.device)  # k >= 1
                for i, objective in enumerate(objectives):
                    f_pass = objective_from_scores(option_scores, proxy.gold, objective)  # [groups]
                    if on_path.any():
                        grads = torch.autograd.grad(
                            f_pass[on_path].sum(), [leaves[slot] for slot in used], retain_graph=i + 1 < len(objectives)
                        )
                        for slot, grad in zip(used, grads):
                            gradients[objective][slot] += grad
                    f[objective][first:last] = f_pass.detach().cpu()
        for objective in objectives:
            attributions, f_full, f_zero = out[objective]
            by_step = f[objective].view(len(chunk), steps + 1)
            for slot in range(len(chunk)):
                gradient_sum = gradients[objective][slot][1:].sum(dim=0).float().cpu()  # Σ_{k=1..m} ∂F/∂w at α_k·n̂
                attributions[done + slot] = n_hat[done + slot] * gradient_sum / steps
                f_zero[done + slot] = by_step[slot, 0]
                f_full[done + slot] = by_step[slot, steps]
        done += len(chunk)
        bar.update(len(chunk))
    bar.close()
    return out, n_hat


# ----------------------------------------------------------------------------------------------
# Public entry points


def integrated_gradients(
    model: nn.Module,
    proxy: ProxyTokens,
    objective: str,
    steps: int = 20,
    layers: Sequence[int] | None = None,
    engine: Literal["cached", "naive"] = "cached",
    layer_batch: int = 6,
    progress: bool = False,
    pass_tokens: int = PASS_TOKENS,
) -> IGResult:
    """IG of eq. 1 for every neuron of `layers` (default all) at the answer position of one proxy QA.

    objective: contrastive | gold_prob | gold_logprob (module docstring). steps: m of the Riemann sum.
    engine: `cached` (fast, exact) or `naive` (the reference). layer_batch: layers whose (m+1) steps
    share one backward in the cached engine; pass_tokens: tokens per batched forward there (memory
    grows with it, and attention within a pass grows with its square). progress: a tqdm bar.
    Returns an IGResult; attributions [len(layers), d_ff] float32 on the CPU, row i = layer layers[i].
    """
    return integrated_gradients_many(
        model, proxy, [objective], steps, layers, engine, layer_batch, progress, pass_tokens
    )[objective]


def integrated_gradients_many(
    model: nn.Module,
    proxy: ProxyTokens,
    objectives: Sequence[str],
    steps: int = 20,
    layers: Sequence[int] | None = None,
    engine: Literal["cached", "naive"] = "cached",
    layer_batch: int = 6,
    progress: bool = False,
    pass_tokens: int = PASS_TOKENS,
) -> dict[str, IGResult]:
    """`integrated_gradients` for several objectives of the same proxy: the cached engine runs each
    forward once for all of them (same path, same logits) and back-propagates once per objective."""
    unknown = [o for o in objectives if o not in OBJECTIVES]
    if unknown or not objectives:
        raise UserError(f"unknown IG objective {(unknown or [None])[0]!r}: expected one of {', '.join(OBJECTIVES)}")
    if engine not in ENGINES:
        raise UserError(f"unknown IG engine {engine!r}: expected one of {', '.join(ENGINES)}")
    if steps < 1 or layer_batch < 1:
        raise UserError(f"steps ({steps}) and layer_batch ({layer_batch}) must be at least 1")
    chosen, d_ff = _check_layers(model, layers)
    objectives = list(dict.fromkeys(objectives))
    with _frozen(model):
        if engine == "naive":
            per_objective = {}
            for objective in objectives:
                attributions, f_full, f_zero, activations = _naive(
                    model, proxy, objective, steps, chosen, d_ff, progress
                )
                per_objective[objective] = (attributions, f_full, f_zero)
        else:
            per_objective, activations = _cached(
                model, proxy, objectives, steps, chosen, d_ff, layer_batch, pass_tokens, progress
            )
    return {
        objective: IGResult(*per_objective[objective], activations, chosen, objective, steps)
        for objective in objectives
    }


def activation_times_gradient(model: nn.Module, proxy: ProxyTokens, objective: str = "gold_logprob") -> torch.Tensor:
    """a · dF/da at the answer position for every layer, from ONE forward and backward (TN; signed).

    A zero offset δ_l (requires grad) is added to every layer's answer-position neurons, so that
    ∂F/∂δ_l = dF/da_l is the total derivative, through the layers above as well (replacing a_l by a
    detached leaf in every layer at once would cut those paths). The answer-position activation is
    the same in every continuation row (same prompt, causal attention), so its gradient is the sum
    over rows. Returns [n_layers, d_ff] float32 cpu. TN's loss is −F: |a·∂loss/∂a| = |this|.
    """
    if objective not in OBJECTIVES:
        raise UserError(f"unknown IG objective {objective!r}: expected one of {', '.join(OBJECTIVES)}")
    projections = ffn_output_projections(model)
    answer = proxy.answer_position
    activations: list[torch.Tensor | None] = [None] * len(projections)
    offsets = [torch.zeros(d_ff, requires_grad=True) for d_ff in neuron_counts(model)]

    def add_offset(layer: int):
        def hook(module: nn.Module, args: tuple) -> tuple:
            hidden = args[0]  # [rows, pos, d_ff]
            activations[layer] = hidden[0, answer].detach().float().cpu()
            rows = torch.arange(hidden.shape[0], device=hidden.device)
            delta = offsets[layer].to(device=hidden.device, dtype=hidden.dtype).expand(hidden.shape[0], -1)
            return (hidden.index_put((rows, torch.full_like(rows, answer)), delta, accumulate=True), *args[1:])

        return hook

    with _frozen(model), _pre_hooks(projections, [add_offset(i) for i in range(len(projections))]):
        with torch.enable_grad():
            _full_sequence_f(model, proxy, objective).backward()
    return torch.stack([a * offset.grad for a, offset in zip(activations, offsets)])  # type: ignore[operator]
