"""CSV downloads that a spreadsheet cannot execute and a terminal cannot obey: formula-like cells (and headers) are
neutralized, terminal escape sequences and control characters removed. Also the CLI's filter for what it prints.
"""

from __future__ import annotations

import csv
import io
import re

import pandas as pd

# A spreadsheet reads a cell starting with one of these as a formula (OWASP "CSV injection").
DANGEROUS = ("=", "+", "-", "@", "\t", "\r")

# What a terminal acts on (ECMA-48), removed whole so no half-sequence is left as text: CSI (ESC [ up to its final
# byte: colours, cursor moves, erasing), the string commands OSC / DCS / SOS / PM / APC (ESC ] P X ^ _ up to BEL or ST:
# window titles, hyperlinks, clipboard writes; unterminated, to the end of the text) and two-byte ESC sequences.
# Their 8-bit C1 forms are single characters that CONTROLS removes.
ESCAPE_SEQUENCES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]?|\x1b[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
                              r"|\x1b[ -/]*[0-~]?")
# C0 controls except tab, line feed and carriage return (line breaks inside a note stay), DEL, and C1 controls.
CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def strip_controls(value):
    """A text without terminal escape sequences or control characters (tab, LF, CR kept); other values as they are."""
    if not isinstance(value, str):
        return value
    return CONTROLS.sub("", ESCAPE_SEQUENCES.sub("", value))


def terminal_text(text: str) -> str:
    """Text the CLI may print: strip_controls, and no carriage return that is not part of a CRLF line end."""
    return re.sub(r"\r(?!\n)", "", strip_controls(text))


def neutralize(value):
    """Prefix a text cell that a spreadsheet would read as a formula with a single quote."""
    if isinstance(value, str) and value.startswith(DANGEROUS):
        return "'" + value
    return value


def cell(value):
    """A download cell: control characters stripped first (they could hide a formula prefix), then neutralized."""
    return neutralize(strip_controls(value))


def _is_plain_number(series: pd.Series) -> bool:
    return (pd.api.types.is_numeric_dtype(series) or pd.api.types.is_bool_dtype(series)
            or pd.api.types.is_datetime64_any_dtype(series) or pd.api.types.is_timedelta64_dtype(series))


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy whose headers and text cells hold no control characters and cannot start a formula; numbers, booleans
    and dates are left alone."""
    safe = df.copy()
    safe.columns = [cell(str(c)) for c in safe.columns]
    for i in range(safe.shape[1]):
        col = safe.iloc[:, i]
        if not _is_plain_number(col):
            safe.isetitem(i, col.astype(object).map(cell))
    return safe


def write_csv(df: pd.DataFrame) -> str:
    """The frame as CSV text with every text cell and header made safe by `cell` (numbers stay numbers).

    Text is always quoted, so a line break inside a cell (a lone CR that a spreadsheet reads as a new row, then
    a formula) cannot start a row of its own.
    """
    buf = io.StringIO()
    safe_frame(df).to_csv(buf, index=False, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    return buf.getvalue()
