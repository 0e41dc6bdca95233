"""The controls panel: one line per experiment parameter, changed from the keyboard."""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

from nntui.curriculum.model import Control
from nntui.i18n import t


class ControlsPanel(Widget, can_focus=True):
    """up/down choose a control, left/right change it, enter flips a choice forward.

    (- and + belong to the lesson screen: they set the pace.)
    """

    DEFAULT_CSS = """
    ControlsPanel { height: auto; padding: 0 1; text-wrap: nowrap; }
    ControlsPanel:focus { background: $boost; }
    """
    BINDINGS = [
        Binding("up,k", "move(-1)", "control", show=False),
        Binding("down,j", "move(1)", "control", show=False),
        Binding("left,h", "nudge(-1)", "−", show=False),
        Binding("right,enter", "nudge(1)", "+", show=False),
    ]

    selected: reactive[int] = reactive(0)

    class EditText(Message):
        """A text control asks to be edited: the screen opens an editor and calls `change`."""

        def __init__(self, control: Control, value: str) -> None:
            super().__init__()
            self.knob = control
            self.value = value

    class Changed(Message):
        def __init__(self, control: Control, value: Any) -> None:
            super().__init__()
            self.knob = control  # `control` is taken: Textual names the sending widget so
            self.value = value

    def __init__(self, controls: tuple[Control, ...], values: dict[str, Any], lang: str = "en", **kwargs) -> None:
        super().__init__(**kwargs)
        self.controls = controls
        self.values = {c.param: values[c.param] for c in controls}
        self.applied = dict(self.values)  # what the running model was started with
        self.lang = lang

    def set_values(self, values: dict[str, Any]) -> None:
        """Put values in (a guide step's `set`), without telling the model yet."""
        for name, value in values.items():
            if name in self.values:
                self.values[name] = value
        self.refresh(layout=True)

    def mark_applied(self, names=None) -> None:
        """The model now runs with the current values: all of them after a restart, else `names`."""
        for name in self.values if names is None else names:
            self.applied[name] = self.values[name]
        self.refresh()

    @property
    def pending(self) -> list[str]:
        return [name for name, value in self.values.items() if value != self.applied[name]]

    def action_move(self, delta: int) -> None:
        if self.controls:
            self.selected = (self.selected + delta) % len(self.controls)

    def action_nudge(self, direction: int) -> None:
        if not self.controls:
            return
        control = self.controls[self.selected]
        if control.type == "text":
            self.post_message(self.EditText(control, self.values[control.param]))
            return
        self.change(control, control.nudge(self.values[control.param], direction))

    def change(self, control: Control, value: Any) -> None:
        """Set a control's value as if the learner had turned it."""
        if value == self.values[control.param]:
            return
        self.values[control.param] = value
        if control.apply == "live":
            self.applied[control.param] = value
        self.post_message(self.Changed(control, value))
        self.refresh()

    def watch_selected(self) -> None:
        self.refresh()

    def render(self) -> Text:
        """One line per control: the label, cut to fit, then the value flush right; when not all
        fit, a line at either end says how many are hidden there ("↓ 2 more")."""
        width = self.content_region.width or 40
        text = Text(no_wrap=True, overflow="ellipsis")
        for index, control in self._visible():
            line = self._line(index, control, width) if control is not None else Text(
                f"  {t('more_above' if index < 0 else 'more_below', self.lang).format(n=abs(index))}", style="dim")
            if text:
                text.append("\n")
            text.append_text(line)
        return text

    def _line(self, index: int, control: Control, width: int) -> Text:
        chosen = index == self.selected and self.has_focus
        pending = self.values[control.param] != self.applied[control.param]
        value = control.name_of(self.values[control.param], self.lang) or _show(self.values[control.param], self.lang)
        room = width - 9  # the marker, a one-cell label, a space, the arrows and the pending mark
        if _cells(value) > room:  # a long text value gives way rather than wrap the line
            value = _cut(value, max(1, room - 1)) + "…"
        shown = f"◂ {value} ▸" if chosen else f"  {value}  "
        label_width = max(1, width - 2 - _cells(shown) - 2 - 1)  # at least one space before the value
        label = control.label.get(self.lang)
        label = label if _cells(label) <= label_width else _cut(label, label_width - 1) + "…"
        line = Text("▸ " if index == self.selected else "  ", style="bold" if chosen else "")
        line.append(label, style="bold" if chosen else "")
        line.append(" " * max(1, width - 2 - _cells(label) - _cells(shown) - 2))
        line.append(shown, style="reverse" if chosen else "")
        line.append(" *" if pending else "  ", style="bold yellow")
        return line

    def _visible(self) -> list[tuple[int, Control | None]]:
        """The rows that fit, scrolled so that the selected control is always among them; where
        controls are hidden, (-count, None) above them or (count, None) below stands for them."""
        rows: list[tuple[int, Control | None]] = list(enumerate(self.controls))
        height, n = self.content_region.height, len(rows)
        if not height or n <= height:
            return rows
        if height < 3:
            start = min(max(0, self.selected - height // 2), n - height)
            return rows[start:start + height]
        inner = height - 2  # room between a marker at each end
        start = min(max(0, self.selected - inner // 2), n - inner)
        if start == 0:
            return rows[:height - 1] + [(n - (height - 1), None)]
        if start + inner >= n:
            return [(-(n - (height - 1)), None)] + rows[n - (height - 1):]
        return [(-start, None)] + rows[start:start + inner] + [(n - start - inner, None)]

    def get_content_height(self, container, viewport, width: int) -> int:
        return max(1, len(self.controls))


def _cells(text: str) -> int:
    return Text(text).cell_len


def _cut(text: str, cells: int) -> str:
    """The longest prefix of text that fits in `cells` terminal cells (CJK counts two)."""
    out = ""
    for char in text:
        if _cells(out + char) > cells:
            break
        out += char
    return out


def _show(value: Any, lang: str = "en") -> str:
    if value == "":
        return '""'
    if isinstance(value, bool):
        return t("on" if value else "off", lang)
    if value == "none":  # a choice's value is the experiment's word, but "none" is plain English
        return t("none", lang)
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)
