"""The lesson browser: chapters and lessons, search, done and broken badges."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Input, Static, Tree

from nntui.curriculum.model import BrokenLesson, Lesson
from nntui.i18n import t
from nntui.widgets.cjk_wrap import break_plain
from nntui.widgets.key_bar import KeyBar


class BrowserScreen(Screen):
    BINDINGS = [
        Binding("slash", "search", "search_key"),
        Binding("q", "app.quit", "quit"),
        Binding("escape", "clear_search", "clear", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static("nntui", id="browser-title")
        yield Input(placeholder=t("search", self.app.lang), id="search")
        with Horizontal(id="browser-body"):
            yield Tree("lessons", id="lessons")
            yield Static("", id="lesson-info")
        yield KeyBar()

    def on_mount(self) -> None:
        self.rebuild()
        self.query_one(Tree).focus()

    def on_screen_resume(self) -> None:
        # done marks or the language may have changed in the lesson we came back from (or, for
        # a student with two sessions, in the other one)
        self.app.progress.refresh()
        self.query_one("#search", Input).placeholder = t("search", self.lang)
        self.rebuild()

    @property
    def lang(self) -> str:
        return self.app.lang

    def update_language(self, lang: str) -> None:
        if not self.is_current:
            return  # under a lesson: on_screen_resume rebuilds it when it shows again
        self.query_one("#search", Input).placeholder = t("search", lang)
        self.rebuild()

    def rebuild(self) -> None:
        tree = self.query_one(Tree)
        query = self.query_one("#search", Input).value.strip().lower()
        curriculum = self.app.curriculum
        tree.clear()
        tree.show_root = False
        self.query_one("#browser-title", Static).update(
            Text.assemble(("nntui", "bold"), "  ", (t("open_hint", self.lang), "dim"))
        )
        first = back_to = None
        for chapter in curriculum.chapters:
            lessons = [lesson for lesson in curriculum.in_chapter(chapter.id) if self._matches(lesson, query)]
            if not lessons:
                continue
            branch = tree.root.add(Text(chapter.title.get(self.lang), style="bold"), expand=True)
            for lesson in lessons:
                node = branch.add_leaf(self._label(lesson), data=lesson)
                first = first or node
                if lesson.id == self.app.last_lesson:
                    back_to = node
        unplaced = [lesson for lesson in curriculum.lessons if lesson.broken and not lesson.chapter]
        if unplaced and any(self._matches(lesson, query) for lesson in unplaced):
            branch = tree.root.add(Text("?", style="bold red"), expand=True)
            for lesson in unplaced:
                if self._matches(lesson, query):
                    node = branch.add_leaf(self._label(lesson), data=lesson)
                    first = first or node
        if first is None:
            self.query_one("#lesson-info", Static).update(t("no_lessons", self.lang))
        else:
            here = back_to or first  # back from a lesson: on it, not on the first
            self.call_after_refresh(tree.move_cursor, here)  # lines exist only after a refresh
            self._describe(here.data)

    def _matches(self, lesson: Lesson | BrokenLesson, query: str) -> bool:
        if not query:
            return True
        haystack = " ".join([lesson.id, lesson.title.en, lesson.title.zh, lesson.summary.en, lesson.summary.zh])
        return query in haystack.lower()

    def _label(self, lesson: Lesson | BrokenLesson) -> Text:
        if lesson.broken:
            return Text.assemble(("✗ ", "bold red"), lesson.id, (f"  {t('broken', self.lang)}", "red"))
        done = self.app.progress.lesson_done(lesson.id, lesson.step_ids)
        mark = ("✓ ", "bold green") if done else ("  ", "")
        return Text.assemble(mark, lesson.title.get(self.lang))

    def _describe(self, lesson: Lesson | BrokenLesson | None) -> None:
        info = self.query_one("#lesson-info", Static)
        if lesson is None:
            info.update("")
        elif lesson.broken:
            info.update(Text.assemble((f"{lesson.id}\n\n", "bold red"), lesson.error))
        else:
            done = self.app.progress.steps_done(lesson.id)
            ticked = sum(step.id in done for step in lesson.steps)
            width = info.content_region.width
            info.update(
                Text.assemble(
                    (break_plain(lesson.title.get(self.lang), width) + "\n\n", "bold"),
                    break_plain(lesson.summary.get(self.lang), width) + "\n\n",
                    (f"{t('experiment', self.lang)}{t('colon', self.lang)}{lesson.experiment} · ", "dim"),
                    (f"{ticked}/{len(lesson.steps)} {t('done', self.lang)}", "dim"),
                )
            )

    def on_resize(self) -> None:
        node = self.query_one(Tree).cursor_node
        if node is not None and node.data is not None:
            self.call_after_refresh(self._describe, node.data)  # Chinese lines are broken to the width

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted) -> None:
        if event.node.data is not None:
            self._describe(event.node.data)

    def on_tree_node_selected(self, event: Tree.NodeSelected) -> None:
        lesson = event.node.data
        if lesson is not None:
            self.app.open_lesson(lesson.id)

    def on_input_changed(self, event: Input.Changed) -> None:
        self.rebuild()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter in the search box opens the highlighted match: one enter, not two."""
        tree = self.query_one(Tree)
        node = tree.cursor_node
        if node is None or node.data is None:
            node = next((leaf for branch in tree.root.children for leaf in branch.children), None)
        if node is not None and node.data is not None:
            tree.focus()
            self.app.open_lesson(node.data.id)
        else:  # nothing matches: stay in the box, so backspace and typing still work
            self.query_one("#search", Input).focus()

    def action_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_clear_search(self) -> None:
        search = self.query_one("#search", Input)
        if search.value:
            search.value = ""
        self.query_one(Tree).focus()
