"""CSV downloads that a spreadsheet cannot execute: formula-like cells (and headers) are neutralized."""

from __future__ import annotations

import csv
import io

import pandas as pd

# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection").
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")


def neutralize(value):
    """Prefix a text cell that a spreadsheet would read as a formula with a single quote."""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def _is_plain_number(series: pd.Series) -> bool:
    return (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)
            or pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_timedelta64_dtype(series))


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy whose headers and text cells cannot start a formula; numbers, booleans and dates are left alone."""
    safe = df.copy()
    safe.columns = [neutralize(str(c)) for c in safe.columns]
    for i in range(safe.shape[1]):
        col = safe.iloc[:, i]
        if not _is_plain_number(col):
            safe.isetitem(i, col.astype(object).map(neutralize))
    return safe


def write_csv(df: pd.DataFrame) -> str:
    """The frame as CSV text with every text cell and header neutralized (numbers stay numbers).

    Text is always quoted, so a line break inside a cell (a lone CR that a spreadsheet reads as a new row, then
    a formula) cannot start a row of its own.
    """
    buf = io.StringIO()
    safe_frame(df).to_csv(buf, index=False, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    return buf.getvalue()
