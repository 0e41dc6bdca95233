"""Tests of the BeamTree widget on the course notes' toy model and a random table (no mocks:
the searches are the lab's own beam_search and greedy; the widget gets their plain dicts)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time

import torch
from rich.style import Style
from textual.app import App, ComposeResult
from textual.color import Color

from nntui.lab.decoding import beam_search, greedy
from nntui.lab.decoding_notes import NOTES_EOS_ID, NOTES_VOCAB, notes_next_log_probs
from nntui.widgets.beam_tree import BEST_COLOR, BeamTree
from nntui.widgets.cjk_wrap import wrap_plain
from nntui.widgets.shading import fade, parse_color

FG, BG = Color(224, 224, 224), Color(18, 18, 18)
BASE = Style(color=FG.rich_color, bgcolor=BG.rich_color)


def notes_dicts(width: int = 2) -> tuple[dict, dict]:
    """The notes' search (beam width 2) and greedy, as the event carries them (after JSON)."""
    beam = beam_search(notes_next_log_probs, [], beam_width=width, max_new_tokens=10, eos_id=NOTES_EOS_ID)
    rollout = greedy(notes_next_log_probs, [], max_new_tokens=10, eos_id=NOTES_EOS_ID)
    return json.loads(json.dumps(beam.to_dict())), json.loads(json.dumps(rollout.to_dict()))


def random_table_dicts(seed: int = 0, vocab: int = 12, width: int = 8, steps: int = 10) -> tuple[dict, dict, list[str]]:
    """A seeded random bigram table (the next token depends on the last one), eos the last id."""
    gen = torch.Generator().manual_seed(seed)
    table = torch.log_softmax(2 * torch.randn(vocab + 1, vocab, generator=gen, dtype=torch.float64), dim=1)

    def next_log_probs(batch):
        return torch.stack([table[seq[-1] if seq else vocab] for seq in batch])

    beam = beam_search(next_log_probs, [], beam_width=width, max_new_tokens=steps, eos_id=vocab - 1)
    rollout = greedy(next_log_probs, [], max_new_tokens=steps, eos_id=vocab - 1)
    words = [f"w{i}" for i in range(vocab - 1)] + ["</s>"]
    return beam.to_dict(), rollout.to_dict(), words


def notes_tree(**show_kwargs) -> BeamTree:
    beam, rollout = notes_dicts()
    tree = BeamTree()
    tree.show(beam, list(NOTES_VOCAB), greedy=rollout, title="I am a student →", **show_kwargs)
    return tree


def text_lines(tree: BeamTree, width: int = 80, height: int = 24, no_color: bool = True) -> list[str]:
    return [s.text for s in tree.render_tree(width, height, base=BASE, foreground=FG, background=BG, no_color=no_color)]


def row_of(tree: BeamTree, *tokens: str) -> int:
    """Index (among tree.rows) of the node reached by these words from the prefix."""
    node = tree.tree.find([NOTES_VOCAB.index(t) for t in tokens])
    assert node is not None, tokens
    return next(k for k, row in enumerate(tree.rows) if row.node == node)


def test_notes_tree_shows_the_hand_computed_nodes():
    tree = notes_tree()
    lines = text_lines(tree)
    tree_lines = lines[1:]  # under the title line
    moi, je, je_suis = (tree_lines[row_of(tree, *path)] for path in (["moi"], ["je"], ["je", "suis"]))
    assert "moi" in moi and "−0.92" in moi and "Σ−0.92" in moi
    assert "je" in je and "−1.20" in je and "Σ−1.20" in je
    assert "suis" in je_suis and "−0.22" in je_suis and "Σ−1.43" in je_suis
    # "suis" hangs under "je": its row follows je's, one level deeper
    assert row_of(tree, "je", "suis") == row_of(tree, "je") + 1
    assert tree.rows[row_of(tree, "je", "suis")].depth == tree.rows[row_of(tree, "je")].depth + 1 == 2
    assert lines[0].startswith("I am a student → · width 2")
    assert lines[1].startswith("<s>")


def test_best_path_is_highlighted_and_marked():
    tree = notes_tree()
    strips = tree.render_tree(80, 24, base=BASE, foreground=FG, background=BG)
    best = [row_of(tree, *"je suis étudiant </s>".split()[:n]) for n in range(1, 5)]
    others = [row_of(tree, "moi"), row_of(tree, "moi", "suis"), row_of(tree, *"moi suis étudiant </s>".split())]
    amber = parse_color(BEST_COLOR).rich_color
    for k in best:
        strip = strips[1 + k]
        assert "★" in strip.text and ("┡━" in strip.text or "┗━" in strip.text), strip.text
        token = next(seg for seg in strip if seg.text.strip() in NOTES_VOCAB)
        assert token.style.bold and token.style.color == amber
    assert strips[1 + best[-1]].text.rstrip().endswith("★ best")
    for k in others:
        assert "★" not in strips[1 + k].text and "┡" not in strips[1 + k].text
    assert "◇ greedy" in strips[1 + others[-1]].text


def test_pruned_are_dim_and_marked_finished_are_marked():
    tree = notes_tree()
    strips = tree.render_tree(80, 24, base=BASE, foreground=FG, background=BG)
    dim = fade(FG, BG, 0.55).rich_color
    nodes = tree.tree.nodes
    pruned_rows = [k for k, row in enumerate(tree.rows) if nodes[row.node].fate == "pruned"]
    finished_rows = [k for k, row in enumerate(tree.rows) if nodes[row.node].fate == "finished"]
    assert len(pruned_rows) >= 8 and len(finished_rows) == 2
    for k, row in enumerate(tree.rows):
        text = strips[1 + k].text
        assert ("×" in text) == (k in pruned_rows), text
        assert ("■" in text) == (k in finished_rows), text
    for k in pruned_rows:
        token = next(seg for seg in strips[1 + k] if seg.text.strip() in NOTES_VOCAB)
        assert token.style.color == dim and not token.style.bold
    # what the fold hides is said on the parent's line: moi tried 5 tokens, shows 2 of them
    assert "+3 pruned" in strips[1 + row_of(tree, "moi")].text


def test_narrow_trees_shorten_what_the_fold_hides_rather_than_cut_it():
    """At 80x24 the tree panel is about 48 columns: "+1 beam +4 pruned" once ended "+1 beam +4 p"."""
    tree = notes_tree()
    wide = text_lines(tree, 200, 24)
    answer_width = max(len(line.rstrip()) for line in wide[-3:-1])
    compacted = 0
    for width in range(40, 70):
        # Where an answer no longer fits on one line it takes two, and the verdict wraps: given
        # the lines they take, the tree keeps the same rows.
        verdict_lines = len(wrap_plain(wide[-1].strip(), width))
        narrow = text_lines(tree, width, (24 if width >= answer_width else 26) + verdict_lines - 1)
        for full_line, line in zip(wide[1 : 1 + len(tree.rows)], narrow[1 : 1 + len(tree.rows)]):
            tags = re.search(r"((?:\+\d+ (?:beams?|pruned) ?)+)$", full_line.rstrip())
            if tags is None:
                continue
            full = tags.group(1).strip()
            compact = re.sub(r"\+(\d+) pruned", r"+\1×", re.sub(r"\+(\d+) beams?", r"+\1", full))
            assert line.rstrip().endswith((full, compact)) or len(line.rstrip()) == width, (width, line)
            compacted += line.rstrip().endswith(compact) and compact != full
        for full_line in wide[-3:-1]:  # beam's and greedy's sentence, `</s>` included, whole on a line
            sentence = re.match(r"\S+\s+(.*?)\s+log p", full_line).group(1)
            assert sentence.endswith("</s>") and any(sentence in line for line in narrow), (width, sentence)
    assert compacted  # some widths needed the short form


def test_the_tree_speaks_chinese():
    tree = notes_tree()
    tree.lang = "zh"
    text = "\n".join(text_lines(tree, 100, 30))
    assert "最佳" in text and "贪心" in text and "束搜索" in text and "倍" in text
    assert not re.search(r"\b(best|greedy|pruned|beam|answer|probable|width)\b", text), text


def test_answers_show_both_products_and_the_verdict():
    lines = text_lines(notes_tree())
    beam_line, greedy_line, verdict = lines[-3:]
    assert beam_line.startswith("beam   je suis étudiant </s>") and "log p −2.63" in beam_line and "p 0.072" in beam_line
    assert greedy_line.startswith("greedy moi suis étudiant </s>") and "log p −2.81" in greedy_line
    assert "p 0.060" in greedy_line
    assert verdict.startswith("beam's answer is 1.2× as probable as greedy's")


def test_stepping_reveals_one_expansion_at_a_time():
    tree = notes_tree()
    assert tree.revealed == 4
    tree.step_back()
    assert tree.revealed == 3
    lines = text_lines(tree)
    assert max(row.depth for row in tree.rows) == 3  # the prefix and three levels of candidates
    assert {tree.tree.nodes[row.node].step for row in tree.rows} == {0, 1, 2, 3}
    assert lines[-1].startswith("expansion 3/4  (> next, < back)")
    assert "★ leading" in lines[1 + row_of(tree, "je", "suis", "étudiant")]
    assert lines[-3].startswith("beam   je suis étudiant …") and "p 0.144" in lines[-3]
    for _ in range(4):
        tree.step_forward()
    assert tree.revealed == 4  # past the end it stays at the end
    assert text_lines(tree)[-1].startswith("beam's answer")
    tree.revealed = -3
    assert tree.revealed == 0 and text_lines(tree)[1].rstrip() == "<s>"


def test_new_data_keeps_the_users_position_else_shows_all():
    beam, rollout = notes_dicts()
    tree = notes_tree()
    tree.revealed = 2
    tree.show(beam, list(NOTES_VOCAB), greedy=rollout)
    assert tree.revealed == 2  # still valid: kept
    short = beam_search(notes_next_log_probs, [], beam_width=2, max_new_tokens=1, eos_id=NOTES_EOS_ID)
    tree.show(short.to_dict(), list(NOTES_VOCAB))
    assert tree.revealed == 1  # past the new end: all of it
    tree.show(beam, list(NOTES_VOCAB))
    assert tree.revealed == 4  # was at the end: follows the new end
    tree.show_all()
    assert tree.revealed == 4
    tree.revealed = 2  # stepped back, then the page asks for another search: it opens at its end
    wider = beam_search(notes_next_log_probs, [], beam_width=3, max_new_tokens=12, eos_id=NOTES_EOS_ID)
    tree.show(wider.to_dict(), list(NOTES_VOCAB))
    assert tree.revealed == tree.tree.n_steps


def test_wide_beam_fits_80x24_in_both_modes():
    beam, rollout, words = random_table_dicts()
    assert len(beam["steps"]) == 10 and beam["beam_width"] == 8
    tree = BeamTree()
    tree.show(beam, words, greedy=rollout)
    for no_color in (False, True):
        strips = tree.render_tree(80, 24, no_color=no_color)
        assert len(strips) == 24 and all(s.cell_length == 80 for s in strips)
        best = tree.tree.find(beam["hypotheses"][0]["new_tokens"])
        assert best in {row.node for row in tree.rows}  # the best path survives the folding
        assert any("★ best" in s.text for s in strips) and any("pruned" in s.text for s in strips)


def test_fold_counts_every_token_tried_not_only_the_recorded_ones():
    # 40 tokens, width 2: the search records 8 pruned per parent, so most are not stored
    beam, rollout, words = random_table_dicts(seed=1, vocab=40, width=2, steps=4)
    tree = BeamTree()
    tree.show(beam, words, greedy=rollout)
    text = [s.text for s in tree.render_tree(80, 24)]
    nodes = tree.tree.nodes
    expanded = [k for k, row in enumerate(tree.rows) if tree.tree.expanded(row.node, tree.revealed)]
    assert expanded
    for k in expanded:
        row = tree.rows[k]
        drawn = sum(1 for r in tree.rows if nodes[r.node].parent == row.node)
        assert drawn + row.hidden_beams + row.hidden_pruned == len(words)
        assert f"+{row.hidden_pruned} pruned" in text[1 + k]


def test_any_size_gives_exact_widths_and_never_crashes():
    beam, rollout = notes_dicts()
    trees = [notes_tree(), BeamTree(), BeamTree()]
    trees[2].show({"steps": []}, list(NOTES_VOCAB))  # malformed: a message, not an exception
    assert "cannot draw this search" in text_lines(trees[2], 80, 3)[1]
    for no_color in (False, True):
        for width in (1, 2, 5, 9, 17, 40, 80, 120):
            for height in (1, 2, 3, 4, 7, 24):
                for revealed in (0, 2, 5):
                    for tree in trees:
                        if tree.tree:
                            tree.revealed = revealed
                        strips = tree.render_tree(width, height, no_color=no_color)
                        assert len(strips) <= height
                        assert all(s.cell_length == width for s in strips), (width, height)


def test_drawing_a_wide_tree_is_fast():
    beam, rollout, words = random_table_dicts()
    tree = BeamTree()
    tree.show(beam, words, greedy=rollout)
    times = []
    for _ in range(5):
        start = time.perf_counter()
        tree.render_tree(80, 24)
        times.append(time.perf_counter() - start)
    assert min(times) < 0.010


def test_widget_modules_do_not_import_torch():
    code = "import sys, nntui.widgets.beam_tree, nntui.widgets.token_bars; assert 'torch' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# ---------------------------------------------------------------------------
# Mounted: keys and snapshots
# ---------------------------------------------------------------------------
class BeamTreeApp(App):
    def compose(self) -> ComposeResult:
        yield BeamTree(id="tree")

    def on_mount(self) -> None:
        beam, rollout = notes_dicts()
        self.query_one(BeamTree).show(beam, list(NOTES_VOCAB), greedy=rollout, title="I am a student →")
        self.query_one(BeamTree).focus()


async def test_keys_step_the_tree_and_repaint_only_changed_lines():
    app = BeamTreeApp()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        tree = app.query_one(BeamTree)
        assert tree.revealed == 4
        await pilot.press("less_than_sign")
        await pilot.press("less_than_sign")
        assert tree.revealed == 2 and tree.lines_text[-1].startswith("expansion 2/4")
        await pilot.press("greater_than_sign")
        assert tree.revealed == 3
        before = list(tree.lines_text)
        await pilot.press("end")
        changed = sum(a != b for a, b in zip(before, tree.lines_text))
        assert tree.revealed == 4 and 0 < changed < 24


def test_snapshot(snap_compare, no_color):
    app = BeamTreeApp()
    assert app.no_color is no_color
    assert snap_compare(app, terminal_size=(80, 24))


def notes_search(width: int):
    from nntui.lab.decoding import beam_search
    from nntui.lab.decoding_notes import NOTES_EOS_ID, notes_next_log_probs

    def search(beam_width: int):
        return beam_search(notes_next_log_probs, [], beam_width=beam_width, max_new_tokens=12, eos_id=NOTES_EOS_ID)

    tree = BeamTree(title="t")
    tree.show(search(width).to_dict(), list(NOTES_VOCAB), greedy=search(1).to_dict())
    return tree


def test_a_shallow_tree_in_a_short_panel_keeps_its_numbers_and_marks():
    """At 80x24 the width-3 notes tree has rows of depth 1-2 only: it once lost every Σ and ★."""
    lines = text_lines(notes_search(3), 48, 10)
    tree_rows = lines[1:5]
    assert all("Σ" in row for row in tree_rows[1:]), tree_rows
    assert any("★ best" in row and "</s>" in row for row in tree_rows), tree_rows


def test_when_the_leaders_path_does_not_fit_it_is_drawn_as_far_as_it_goes():
    lines = text_lines(notes_search(2), 48, 10)
    tree_rows = "\n".join(lines[1:5])
    assert "je" in tree_rows and "suis" in tree_rows and "étudiant" in tree_rows  # the best path, from the top
    assert "moi" not in tree_rows.split("\n")[1]  # not greedy's branch first


def test_the_verdict_wraps_in_a_narrow_tree_and_says_so_where_it_is_cut():
    """At 80x24 the tree is about 24 columns wide: the verdict once ended "beam and greedy are equ"."""
    tree = notes_tree()
    verdict = text_lines(tree, 200, 24)[-1].strip()
    assert "greedy" in verdict
    tall = [line.strip() for line in text_lines(tree, 24, 40)]
    assert " ".join(tall[-len(wrap_plain(verdict, 24)):]) == verdict  # every word of it, on lines of its own
    short = [line.rstrip() for line in text_lines(tree, 24, 8)]  # room for one line of it
    assert short[-1].endswith("…") and verdict.startswith(short[-1][:-1].rstrip())  # cut, and it says so
