"""CSV downloads that a spreadsheet cannot execute: formula-like cells (and headers) are neutralized."""

from __future__ import annotations

import io

import pandas as pd

DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value):
    """Prefix a text cell that a spreadsheet would read as a formula with a single quote."""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def write_csv(df: pd.DataFrame) -> str:
    """The frame as CSV text with every text cell and header neutralized (numbers stay numbers)."""
    safe = df.copy()
    safe.columns = [neutralize(str(c)) for c in safe.columns]
    for c in safe.columns:
        if safe[c].dtype == object or pd.api.types.is_string_dtype(safe[c]):
            safe[c] = safe[c].map(neutralize)
    buf = io.StringIO()
    safe.to_csv(buf, index=False)
    return buf.getvalue()
