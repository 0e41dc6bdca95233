"""Every live visual a lesson's `layout` can name, one module per family (see base.Visual).

To add a visual: a module here with its update function and its `VISUALS` tuple (the events it
draws, its widget, help rows, CSV tables), listed below. A name given twice, or a spec in the
catalog offering a name that is not here, is an error at import: never a panel that silently
never redraws.
"""

from __future__ import annotations

from nntui.spec.catalog import EXPERIMENTS
from nntui.visuals import attention, charts, decoding, gradients, pictures, scatter, tables, tokens
from nntui.visuals import words
from nntui.visuals.base import CsvTable, HelpRow, Visual

__all__ = ["VISUALS", "Visual", "visual", "help_rows", "csv_tables"]


def _registry(*families: tuple[Visual, ...]) -> dict[str, Visual]:
    found: dict[str, Visual] = {}
    for family in families:
        for vis in family:
            if vis.name in found:
                raise ValueError(f"two visuals are called {vis.name!r}")
            found[vis.name] = vis
    for spec in EXPERIMENTS.values():
        unknown = [name for name in spec.visuals if name not in found]
        if unknown:
            raise ValueError(f"experiment {spec.name!r} offers unknown visuals {unknown}; known: {sorted(found)}")
        starved = [name for name in spec.visuals if not set(found[name].draws) & set(spec.emits)]
        if starved:
            raise ValueError(f"experiment {spec.name!r} offers {starved}, which draw nothing it emits")
    return found


VISUALS: dict[str, Visual] = _registry(
    charts.VISUALS, gradients.VISUALS, attention.VISUALS, decoding.VISUALS, pictures.VISUALS, tables.VISUALS,
    scatter.VISUALS, tokens.VISUALS, words.VISUALS,
)


def visual(name: str) -> Visual:
    try:
        return VISUALS[name]
    except KeyError:
        raise KeyError(f"unknown visual {name!r}; known: {', '.join(sorted(VISUALS))}") from None


def help_rows() -> list[HelpRow]:
    """Every visual's help rows, once each, in registry order."""
    return list(dict.fromkeys(row for vis in VISUALS.values() for row in vis.help))


def csv_tables() -> list[CsvTable]:
    """Every visual's CSV tables, once each (several visuals draw the same events)."""
    return list({table.file: table for vis in VISUALS.values() for table in vis.exports}.values())
