"""Every number the widgets write, in one place: each formatter fits one kind of number into the
cells its widget has (a tick label, a norm in 7 cells, a probability in 5, a log-probability with
a true minus sign...). Keep them here so two widgets never show one number two ways."""

from __future__ import annotations

import math

__all__ = [
    "fmt_cell", "fmt_cell_value", "fmt_log", "fmt_mass", "fmt_norm", "fmt_p", "fmt_prob", "fmt_whole_or",
    "format_tick", "threshold_label",
]


def fmt_log(value: float) -> str:
    """A log-probability with two decimals and a true minus sign: −0.92, −12.34, −inf."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "−inf" if value < 0 else "inf"
    return f"{value:.2f}".replace("-", "−")


def fmt_prob(p: float) -> str:
    """A probability: three decimals (0.173), or two significant digits below 0.001 (1.4e-11)."""
    if math.isnan(p):
        return "nan"
    return f"{p:.3f}" if p >= 0.001 or p == 0 else f"{p:.1e}"


def fmt_norm(v: float) -> str:
    """A norm in at most 7 characters: 0.93, 12.5, 3.2e-7, 1.5e4; 'nan', 'inf', '0'."""
    if v is None or math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if v == 0:
        return "0"
    a = abs(v)
    if 0.01 <= a < 1000:
        return f"{v:.3g}"
    mant, exp = f"{v:.1e}".split("e")
    mant = mant.rstrip("0").rstrip(".")
    return f"{mant}e{int(exp)}"


def threshold_label(v: float) -> str:
    """A threshold as written in labels: powers of ten as 1e-5, 1e2; others as fmt_norm."""
    if v > 0 and math.isfinite(v):
        e = math.log10(v)
        if abs(e - round(e)) < 1e-9:
            return "1" if round(e) == 0 else f"1e{int(round(e))}"
    return fmt_norm(v)


def fmt_cell_value(v: float) -> str:
    """A heatmap cell under the cursor: 0.93, or as a norm outside 0.01..100 (3.2e-7)."""
    if math.isfinite(v) and 0.01 <= abs(v) < 100:
        return f"{v:.2f}"
    return fmt_norm(v)


def fmt_cell(value: float | None) -> str:
    """A worked example's table cell: two decimals, ∞ for a masked score, blank for none."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if value == -math.inf:
        return "−∞"
    if value == math.inf:
        return "∞"
    if abs(value) >= 1000:
        return f"{value:.3g}"
    return f"{value:.2f}"


def format_tick(v: float) -> str:
    """A short tick label: 0, 0.25, 1.5e3 -> '1.5e3', 12000 -> '12k', 1e-3 -> '1e-3'."""
    if v == 0:
        return "0"
    if not math.isfinite(v):
        return str(v)
    a = abs(v)
    for unit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if a >= unit and abs(v / unit * 100 - round(v / unit * 100)) < 1e-6:
            return f"{v / unit:g}{suffix}"
    e = math.log10(a)
    if abs(e - round(e)) < 1e-9 and (e <= -3 or e >= 4):
        return f"{'-' if v < 0 else ''}1e{int(round(e))}"
    s = f"{v:.3g}"
    if "e" in s:
        mant, exp = s.split("e")
        s = f"{mant}e{int(exp)}"
    return s


def fmt_p(p: float) -> str:
    """A probability in five cells: 0.412, 1.000; below 0.0005 "<.001" rather than a false 0."""
    if math.isnan(p):
        return "  nan"
    if 0 < p < 0.0005:
        return "<.001"
    return f"{p:.3f}"


def fmt_mass(p: float) -> str:
    """The probability of what was left out: 0.03, or 2.1e-05 when it rounds to nothing."""
    return f"{p:.2f}" if p >= 0.005 or p == 0 else f"{p:.1e}"


def fmt_whole_or(x: float, digits: int) -> str:  # the check line's values and bounds
    """Whole numbers as they are read (1,000, not 1e+03); others to `digits` significant digits."""
    if x == int(x) and abs(x) < 1e9:
        return f"{int(x):,}"
    return f"{x:.{digits}g}"


def fmt_legend(v: float) -> str:
    """A chart legend's latest value: 2,069 (not 2.07e+03) from a thousand up, else 3 significant digits."""
    if math.isfinite(v) and 1000 <= abs(v) < 1e9:
        return f"{round(v):,}"
    return f"{v:.3g}"
