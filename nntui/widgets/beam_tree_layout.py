"""The beam-search tree as BeamTree draws it: nodes, the leading path, and which rows fit.

Pure Python (no Textual, no torch), so the layout rules can be tested on their own. A search's
records (`BeamSearchResult`) list candidates per step with `parent` counting the previous step's
*kept* candidates; `SearchTree` turns that into nodes with parent and children ids, node 0 being
the prefix. `fit_rows` then picks the nodes worth a row when the tree is taller than the widget
and lays them out depth first with the box characters of an indented tree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Sequence

from nntui.i18n import t
from nntui.spec.decoding_records import BeamSearchResult

ROOT = 0  # node id of the prefix

# Tree junctions: light for ordinary branches, heavy where the best path runs.
#   BEFORE_BEST: a sibling above the best child (the heavy line passes it on its way down)
#   AT_BEST / AT_BEST_LAST: the best child itself (more siblings below it, or none)
LIGHT_MID, LIGHT_LAST, LIGHT_PASS = "├", "└", "│"
BEFORE_BEST, AT_BEST, AT_BEST_LAST, HEAVY_PASS = "┠", "┡", "┗", "┃"


@dataclass
class Node:
    step: int  # 0: the prefix; s: a candidate of expansion s
    token: int | None
    log_prob: float
    score: float  # cumulative log-prob of the new tokens up to this one
    fate: str  # "prefix", "kept", "finished" or "pruned"
    parent: int | None
    children: list[int] = field(default_factory=list)  # best first, as the search listed them


@dataclass
class Row:
    """One line of the tree: a node, the guides of its ancestors' levels and its own junction."""

    node: int
    depth: int
    guides: list[tuple[str, bool]]  # per level above it: (vertical or " ", heavy)
    junction: str  # "├", "└", or on the best path's way "┠", "┡", "┗"; "" for the prefix
    hidden_beams: int = 0  # kept or finished children not drawn
    hidden_pruned: int = 0  # pruned children not drawn (recorded or not)


class SearchTree:
    """The nodes of one search, with lookups the widget needs."""

    def __init__(self, result: BeamSearchResult, vocab_size: int = 0) -> None:
        self.result = result
        self.vocab_size = vocab_size
        self.nodes: list[Node] = [Node(0, None, 0.0, 0.0, "prefix", None)]
        self.by_step: list[list[int]] = [[ROOT]]
        kept_ids = [ROOT]  # the previous step's kept nodes, in the order `parent` counts them
        for step, candidates in enumerate(result.steps, start=1):
            ids = []
            for c in candidates:
                # A malformed record must not crash the UI: an unknown parent hangs off the prefix.
                ok = c.parent is not None and 0 <= c.parent < len(kept_ids)
                parent = kept_ids[c.parent] if ok else ROOT
                node_id = len(self.nodes)
                self.nodes.append(Node(step, c.token, float(c.log_prob), float(c.score), c.fate, parent))
                self.nodes[parent].children.append(node_id)
                ids.append(node_id)
            self.by_step.append(ids)
            kept_ids = [i for i in ids if self.nodes[i].fate == "kept"]

    @property
    def n_steps(self) -> int:
        return len(self.by_step) - 1

    def path(self, node_id: int) -> list[int]:
        """Node ids from the prefix down to `node_id`."""
        out = []
        current: int | None = node_id
        while current is not None:
            out.append(current)
            current = self.nodes[current].parent
        return out[::-1]

    def tokens(self, node_id: int) -> list[int]:
        """The new tokens on the way to `node_id` (the prefix excluded)."""
        return [self.nodes[i].token for i in self.path(node_id)[1:]]  # type: ignore[misc]

    def find(self, new_tokens: Sequence[int]) -> int | None:
        """The node reached by following `new_tokens` from the prefix (None if it was not recorded)."""
        current = ROOT
        for token in new_tokens:
            current = next((c for c in self.nodes[current].children if self.nodes[c].token == token), -1)
            if current < 0:
                return None
        return current

    def leader(self, revealed: int) -> int | None:
        """The best answer so far after `revealed` expansions: the search's own best hypothesis
        once everything is shown, else the best-ranked of the finished nodes and the live beams
        (ranked as the search ranks hypotheses: log-prob / length ** length_penalty)."""
        if revealed <= 0:
            return None
        hyps = self.result.hypotheses
        if revealed >= self.n_steps and hyps:
            found = self.find(hyps[0].new_tokens)
            if found is not None:
                return found
        step_ids = self.by_step[1 : revealed + 1]
        pool = [i for ids in step_ids for i in ids if self.nodes[i].fate == "finished"]
        pool += [i for i in self.by_step[revealed] if self.nodes[i].fate == "kept"]
        if not pool:
            pool = self.by_step[revealed][:1]
        penalty = self.result.length_penalty
        return max(pool, key=lambda i: self.nodes[i].score / self.nodes[i].step**penalty) if pool else None

    def expanded(self, node_id: int, revealed: int) -> bool:
        """Whether the search extended this node within the revealed expansions."""
        node = self.nodes[node_id]
        return node.fate in ("prefix", "kept") and node.step < revealed


def pick_nodes(tree: SearchTree, revealed: int, budget: int, first: Sequence[int]) -> set[int]:
    """At most `budget` nodes (the prefix included) of the first `revealed` expansions, chosen so
    that every chosen node's parent is chosen too. In order: the paths to the nodes in `first`
    (the leader, greedy's node), the finished and live beams, the other kept beams, then the
    pruned candidates nearest to being kept, the best one of each parent before any second one."""
    nodes = tree.nodes
    shown: set[int] = set()
    if budget <= 0:
        return shown

    def add(node_id: int, with_new_parents: bool = True, partly: bool = False) -> None:
        chain = []
        current: int | None = node_id
        while current is not None and current not in shown:
            chain.append(current)
            current = nodes[current].parent
        room = budget - len(shown)
        if partly and 0 < room < len(chain):  # as much of the path as fits, from the top down
            chain = chain[-room:]
        if not chain or (not with_new_parents and len(chain) > 1) or len(chain) > room:
            return
        shown.update(chain)

    add(ROOT)
    for node_id in first:  # the leader's path before anything else, whole or as far as it goes
        add(node_id, partly=True)
    revealed_steps = tree.by_step[1 : revealed + 1]
    beams = [i for ids in revealed_steps for i in ids if nodes[i].fate == "finished"]
    beams += [i for i in tree.by_step[revealed] if nodes[i].fate == "kept"] if revealed else []
    for node_id in sorted(beams, key=lambda i: -nodes[i].score):
        add(node_id)
    others = [i for ids in revealed_steps for i in ids if nodes[i].fate == "kept" and i not in shown]
    for node_id in sorted(others, key=lambda i: -nodes[i].score):
        add(node_id)
    if len(shown) >= budget:
        return shown

    # How far each pruned candidate fell short of the weakest beam kept at its step.
    firsts, rest = [], []
    for ids in revealed_steps:
        kept_scores = [nodes[i].score for i in ids if nodes[i].fate != "pruned"]
        threshold = min(kept_scores) if kept_scores else max(nodes[i].score for i in ids)
        seen_parents: set[int | None] = set()
        for i in ids:  # best first, so a parent's first pruned child is its best
            if nodes[i].fate != "pruned":
                continue
            (rest if nodes[i].parent in seen_parents else firsts).append((threshold - nodes[i].score, i))
            seen_parents.add(nodes[i].parent)
    for group in (firsts, rest):
        for _, node_id in sorted(group):
            if len(shown) >= budget:
                return shown
            add(node_id, with_new_parents=False)
    return shown


def fit_rows(tree: SearchTree, revealed: int, budget: int, first: Sequence[int], best_path: set[int]) -> list[Row]:
    """The rows of the tree in reading order (depth first, children best first)."""
    shown = pick_nodes(tree, revealed, budget, first)
    if not shown:
        return []
    nodes = tree.nodes
    rows: list[Row] = []

    def visit(node_id: int, depth: int, guides: list[tuple[str, bool]], junction: str, below: tuple[str, bool]) -> None:
        # `guides`: this row's cells for the levels above it; `below`: what this node's junction
        # column shows on the rows of its descendants (a line on to a later sibling, or blank).
        node = nodes[node_id]
        children = [c for c in node.children if c in shown and nodes[c].step <= revealed]
        row = Row(node_id, depth, guides, junction)
        if tree.expanded(node_id, revealed):
            drawn_beams = sum(nodes[c].fate != "pruned" for c in children)
            all_beams = sum(nodes[c].fate != "pruned" for c in node.children)
            # Every live beam is extended by every token: the vocabulary says how many were pruned
            # in all, more than the search records.
            total = max(len(node.children), tree.vocab_size)
            row.hidden_beams = all_beams - drawn_beams
            row.hidden_pruned = (total - all_beams) - (len(children) - drawn_beams)
        rows.append(row)
        child_guides = guides + [below] if depth else []  # the prefix has no junction column
        best = next((k for k, c in enumerate(children) if c in best_path), -1)
        for k, child in enumerate(children):
            last = k == len(children) - 1
            if k < best:  # the heavy line passes this sibling on its way down to the best child
                mark, child_below = BEFORE_BEST, (HEAVY_PASS, True)
            elif k == best:
                mark, child_below = AT_BEST_LAST if last else AT_BEST, (" " if last else LIGHT_PASS, False)
            else:
                mark, child_below = LIGHT_LAST if last else LIGHT_MID, (" " if last else LIGHT_PASS, False)
            visit(child, depth + 1, child_guides, mark, child_below)

    visit(ROOT, 0, [], "", (" ", False))
    return rows


def verdict(beam_log: float, greedy_log: float, lang: str = "en") -> str:
    """Which answer is more probable, and how many times: the ratio of exp(log p)."""
    if abs(beam_log - greedy_log) < 1e-5:  # the same answer, summed in float32 along two paths
        return t("equally_probable", lang)
    ratio = math.exp(abs(beam_log - greedy_log))
    winner, loser = ("beam", "greedy") if beam_log > greedy_log else ("greedy", "beam")
    return t("as_probable", lang).format(winner=t(winner, lang), loser=t(loser, lang), ratio=f"{ratio:.3g}")

