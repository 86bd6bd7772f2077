"""The deal definitions shown in the UI, and the one win-rate definition."""

from __future__ import annotations

import numpy as np

DEFINITIONS = {
    "in_scope": "A closed deal is in scope of a message when its segment matches the message's target segment "
                "(no target = every deal) and it closed on or after the launch date.",
    "adopted": "A deal is adopted for a message when its owner passed that message's certification on or before "
               "the deal's close date.",
    "tagged": "A deal is tagged for a message when the CRM's message column names it (a second, explicit "
              "definition, shown separately).",
    "win_rate": "Win rate = won / (won + lost); open deals never count.",
}


def win_rate(won, lost):
    """Won / (won + lost): the one win-rate definition; NaN where nothing closed."""
    won = np.asarray(won, dtype=float)
    total = won + np.asarray(lost, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(total > 0, won / np.where(total > 0, total, 1), np.nan)
    return float(out) if out.ndim == 0 else out
