"""The figures' shared look: one color per message on every page, the layout, outcome and verdict colors.

Colors: `message_colors(names)` assigns the palette in the launch plan's order (pass every message name, not a
filtered list), so a message keeps its color whichever filters or pages show it. Every color here is legible on the
app's light and dark backgrounds (BACKGROUNDS, the same as .streamlit/config.toml): at least CONTRAST_FLOOR against
both (WCAG's 3:1 for graphics), which leaves the middle band of lightness; tests/test_theme.py checks it. Streamlit
draws the chart's background, grid and text in the viewer's theme; the traces keep these colors in both.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

import pandas as pd
import plotly.io as pio
from plotly import graph_objects as go

from analytics.safe_csv import strip_controls

# The app's two backgrounds (Streamlit's light and dark defaults, set in .streamlit/config.toml).
BACKGROUNDS = {"light": "#ffffff", "dark": "#171614"}
CONTRAST_FLOOR = 3.0
# One color per message: ten mid-lightness hues, far apart from each other (CIELAB distance over 20), in this order.
PALETTE = ["#4c78a8", "#d9730d", "#2a9d8f", "#d35d8e", "#4e9a3e", "#8e6bbf", "#b8860b", "#9d755d", "#c04fc0",
           "#8c8c1e"]
OTHER_COLOR = "#888888"
# Reference marks (outlines, launch lines, a fitted value's tick): the grey of equal contrast on both backgrounds
# (about 4.3:1), where black would vanish on dark.
INK = "#7a7a7a"
OUTCOME_COLORS = {"Positive": "#1b9e77", "Neutral": "#8c8c8c", "Objection": "#d95f02", "Lost interest": "#7570b3",
                  "(none)": "#6b6b6b"}
# Good/bad where the question is good/bad (a red-blue pair, readable for red-green colour blindness, on light
# and dark backgrounds alike); grey for "can't tell yet".
VERDICT_COLORS = {"harmful": "#d6453d", "helpful": "#3a7dc9", "uncertain": "#8c8c8c"}
# plotly_white for figures drawn outside the app, with the palette as its colorway and no white outline on bars
# (a white rim on the dark background).
TEMPLATE = go.layout.Template(pio.templates["plotly_white"])
TEMPLATE.layout.colorway = PALETTE
for _trace in ("bar", "histogram"):
    for _t in getattr(TEMPLATE.data, _trace):
        _t.marker.line.width = 0
LAYOUT = dict(template=TEMPLATE, margin=dict(l=10, r=10, t=50, b=10), legend_title_text=None,
              legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="left", x=0),
              hoverlabel=dict(namelength=-1))


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio (1 to 21) of two #rrggbb colours."""
    def luminance(c: str) -> float:
        r, g, b = [v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4
                   for v in (int(c[i:i + 2], 16) / 255 for i in (1, 3, 5))]
        return 0.2126 * r + 0.7152 * g + 0.0722 * b
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def plain(value) -> str:
    """A data value as Plotly text: Plotly reads <a href>, <b>, <br>... in titles, legends, ticks, hover text and
    annotations, and shows an entity such as &lt; as its character, so the escaped value displays exactly."""
    if value is None or value != value:        # None, NaN
        return ""
    return html.escape(strip_controls(str(value)), quote=False)


def plain_all(values: Iterable) -> list[str]:
    return [plain(v) for v in values]


def message_colors(names: Iterable[str]) -> dict[str, str]:
    """Message name -> color, in the given (launch plan) order; the palette repeats past its length."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(dict.fromkeys(names))}


def interval_bars(center, low, high, color: str = INK) -> dict:
    """A trace's error_x / error_y drawing the 95 % interval [low, high] around center (a missing bound: no bar)."""
    c, lo, hi = (pd.to_numeric(pd.Series(s), errors="coerce").astype(float) for s in (center, low, high))
    return dict(type="data", symmetric=False, array=(hi - c).fillna(0).to_numpy(),
                arrayminus=(c - lo).fillna(0).to_numpy(), color=color, thickness=1.5, width=4)
