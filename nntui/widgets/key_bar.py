"""The footer's key hints in the app's language.

Bindings are declared with an i18n key as their description (`Binding("r", "restart",
"restart")`); this footer shows `t(description, app.lang)` and redraws when the language changes.
"""

from __future__ import annotations

from textual.widgets import Footer

from nntui.i18n import t

__all__ = ["KeyBar"]


class KeyBar(Footer):
    def compose(self):
        lang = getattr(self.app, "lang", "en")
        for key in super().compose():
            if getattr(key, "description", ""):
                key.description = t(key.description, lang)
            yield key

    def on_mount(self) -> None:
        super().on_mount()
        if hasattr(self.app, "lang"):
            self.watch(self.app, "lang", lambda _lang: self.recompose(), init=False)

