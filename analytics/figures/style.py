"""The figures' shared look: one color per message on every page, the layout, outcome and verdict colors.

Colors: `message_colors(names)` assigns the palette in the launch plan's order (pass every message name, not a
filtered list), so a message keeps its color whichever filters or pages show it.
"""

from __future__ import annotations

import html
from collections.abc import Iterable

from plotly.colors import qualitative

from analytics.safe_csv import strip_controls

PALETTE = qualitative.Safe          # colorblind-safe
OTHER_COLOR = "#888888"
OUTCOME_COLORS = {"Positive": "#1b9e77", "Neutral": "#a6a6a6", "Objection": "#d95f02", "Lost interest": "#7570b3",
                  "(none)": "#dddddd"}
# Good/bad where the question is good/bad (a red-blue pair, readable for red-green colour blindness, on light
# and dark backgrounds alike); grey for "can't tell yet".
VERDICT_COLORS = {"harmful": "#d6453d", "helpful": "#3a7dc9", "uncertain": "#9e9e9e"}
LAYOUT = dict(template="plotly_white", margin=dict(l=10, r=10, t=50, b=10), legend_title_text=None,
              legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="left", x=0),
              hoverlabel=dict(namelength=-1))


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
