"""Tables for people: numbers as percentages, points and dates, "–" for a missing value, verdict colours on answers.

`for_people(frame, kinds)` returns a pandas Styler (the frame keeps its full-precision values, so sorting and CSV are
unchanged); `human_csv_frame(frame, headers)` is the same frame under human headers, for a download.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping

import pandas as pd
from pandas.io.formats.style import Styler

from analytics.figures.style import VERDICT_COLORS
from analytics.metrics.missing import missing

NA = "–"
# Translucent verdict colours read on a light and on a dark background alike.
HIGHLIGHT_ALPHA = 0.22


def _pct(x) -> str:
    return f"{x:.0%}"


def _pp(x) -> str:
    return f"{x:+.1f} pp"


def _date(x) -> str:
    return f"{pd.Timestamp(x):%d %b %Y}"


FORMATS: dict[str, Callable] = {
    "pct": _pct, "pp": _pp, "int": lambda x: f"{x:,.0f}", "rating": lambda x: f"{x:.2f}",
    "days": lambda x: f"{x:,.0f}", "date": _date, "text": str,
}


def cell(value, kind: str) -> str:
    """One value as shown to people: `kind` is a key of FORMATS; missing values are "–"."""
    if value is None or (not isinstance(value, str) and missing(value)):
        return NA
    return FORMATS[kind](value)


def _rgba(color: str) -> str:
    r, g, b = (int(color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {HIGHLIGHT_ALPHA})"


def for_people(frame: pd.DataFrame, kinds: Mapping[str, str], verdicts: Iterable[str] | None = None,
               highlight: Iterable[str] = ()) -> Styler:
    """The frame formatted per column kind; with `verdicts` (one per row), the `highlight` columns coloured by it."""
    styler = frame.style.format({c: (lambda v, k=k: cell(v, k)) for c, k in kinds.items() if c in frame.columns},
                                na_rep=NA)
    if verdicts is not None:
        colours = [f"background-color: {_rgba(VERDICT_COLORS[v])}" if v != "uncertain" else "" for v in verdicts]
        columns = [c for c in highlight if c in frame.columns]
        if columns:
            styler = styler.apply(lambda col: colours, subset=columns, axis=0)
    return styler


def human_csv_frame(frame: pd.DataFrame, headers: Mapping[str, str]) -> pd.DataFrame:
    """The frame under human headers (values at full precision) for a CSV download."""
    return frame.rename(columns={c: h for c, h in headers.items() if c in frame.columns})
