"""The continuation trie of one multiple-choice question: what is scored after the prompt.

Node 0 is the last prompt token (the answer position); every other node is one token appended to
its parent. An alternative a (an option's token sequence; a letter option has two spellings) is read
along the path root, a_0, ..., a_{n-2}: log p(a_j | prompt, a_<j) comes from the logits at the node of
a_<j (the root for j = 0). Beginnings shared by alternatives are computed once, so letter options
(all single tokens) need the root alone. Integrated gradients (ig/cached.py) and evaluation
(engine.py) both lay tries out after a cached prompt prefix.

    score(o) = logsumexp_a Σ_j log p(a_j | prompt, a_<j)          (eq. 2, one term per trie edge)
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch


@dataclass
class Continuations:
    """Term t: token `token[t]` of alternative `alt[t]`, predicted at node `node[t]`."""

    tokens: list[int]  # [n_nodes]; tokens[0] is the last prompt token
    parents: list[int]  # [n_nodes]; -1 for the root, otherwise an earlier node
    alt: torch.Tensor  # [n_terms]
    node: torch.Tensor  # [n_terms]
    token: torch.Tensor  # [n_terms]
    alt_option: list[int]  # [n_alternatives] option of each alternative
    n_options: int

    @classmethod
    def build(cls, last_prompt_token: int, options: Sequence[Sequence[Sequence[int]]]) -> Continuations:
        """options[o][a]: the token ids of alternative a of option o."""
        alternatives = [(o, list(a)) for o, alts in enumerate(options) for a in alts]
        node_of: dict[tuple[int, ...], int] = {(): 0}
        tokens, parents = [last_prompt_token], [-1]
        alt, node, token = [], [], []
        for a, (_, continuation) in enumerate(alternatives):
            for j, target in enumerate(continuation):
                before = tuple(continuation[:j])
                if before not in node_of:  # its parent before[:-1] exists: j grows one token at a time
                    node_of[before] = len(tokens)
                    tokens.append(before[-1])
                    parents.append(node_of[before[:-1]])
                alt.append(a)
                node.append(node_of[before])
                token.append(target)

        def as_long(values: list[int]) -> torch.Tensor:
            return torch.tensor(values, dtype=torch.long)

        return cls(
            tokens, parents, as_long(alt), as_long(node), as_long(token), [o for o, _ in alternatives], len(options)
        )

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
        rows: list[list[int]] = []
        where = [(-1, -1)] * len(self.tokens)
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

    def alternative_scores(self, logits: torch.Tensor, columns: torch.Tensor) -> torch.Tensor:
        """Σ_j log p(a_j | …) per alternative: logits [G, C, vocab], term t read at column columns[t]
        -> [G, n_alternatives] float32."""
        device = logits.device
        needed, inverse = torch.unique(columns.to(device), return_inverse=True)
        selected = logits[:, needed].float()  # [G, n_needed, vocab]
        log_norm = torch.logsumexp(selected, dim=-1)  # [G, n_needed]
        token = self.token.to(device)
        term_logprob = selected[:, inverse, token] - log_norm[:, inverse]  # [G, n_terms]
        alt_scores = torch.zeros(logits.shape[0], len(self.alt_option), device=device)
        return alt_scores.index_add(1, self.alt.to(device), term_logprob)

    def alternative_greedy(self, logits: torch.Tensor, columns: torch.Tensor) -> torch.Tensor:
        """Whether every token of an alternative is the argmax at its node: [G, n_alternatives] bool."""
        device = logits.device
        columns = columns.to(device)
        argmax = logits[:, columns].argmax(dim=-1)  # [G, n_terms]
        term_greedy = (argmax == self.token.to(device)).long()
        misses = torch.zeros(logits.shape[0], len(self.alt_option), dtype=torch.long, device=device)
        misses = misses.index_add(1, self.alt.to(device), 1 - term_greedy)
        return misses == 0

    def option_results(self, logits: torch.Tensor, columns: torch.Tensor) -> list[tuple[float, bool]]:
        """(score, greedy) per option of one question from its row's logits [1, L, vocab] (the scorer's)."""
        alternative = self.alternative_scores(logits, columns)[0]
        greedy = self.alternative_greedy(logits, columns)[0]
        out = []
        for option in range(self.n_options):
            members = [a for a, o in enumerate(self.alt_option) if o == option]
            out.append((torch.logsumexp(alternative[members], dim=0).item(), bool(greedy[members].any())))
        return out

    def option_scores(self, logits: torch.Tensor, columns: torch.Tensor) -> torch.Tensor:
        """Eq. 2 per group -> [G, n_options] float32 (alternatives of an option merged by logsumexp)."""
        alt_scores = self.alternative_scores(logits, columns)
        return torch.stack(
            [
                torch.logsumexp(alt_scores[:, [a for a, o in enumerate(self.alt_option) if o == option]], dim=-1)
                for option in range(self.n_options)
            ],
            dim=-1,
        )  # [G, n_options]
