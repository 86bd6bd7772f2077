"""The header row of an export: its delimiter, the line it is on (report titles may sit above it) and its width."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from ..settings import MAX_COLUMNS
from .errors import IngestError

DELIMITERS = (",", ";", "\t", "|")
SAMPLE_CHARS = 1 << 16
TITLE_LINES = 20          # lines above the header row (report name, filters, "as of") looked past


@dataclass
class Header:
    """Where the header row is and what it says."""

    delimiter: str
    names: list[str]
    line: int                                       # its physical line number, 1-based
    warnings: list[str] = field(default_factory=list)


def read_header(path: Path, encoding: str, file_name: str | None = None) -> Header:
    """Find the delimiter and the header row of a text file (refusing files that are not CSV or are too wide)."""
    with path.open("r", encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="") as fh:
        sample = fh.read(SAMPLE_CHARS)
    return find_header(sample, file_name or path.name)


def count_outside_quotes(line: str, delim: str) -> int:
    if '"' not in line:
        return line.count(delim)
    n, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delim and not quoted:
            n += 1
    return n


def _best(line: str) -> tuple[str, int]:
    """The delimiter a line uses most (outside quotes) and how often; comma first on ties."""
    counts = {d: count_outside_quotes(line, d) for d in DELIMITERS}
    d = max(counts, key=lambda k: counts[k])
    return d, counts[d]


def _fields(line: str, delim: str) -> int:
    """Separators in a line, not counting one trailing separator (exports that end every line with one)."""
    n = count_outside_quotes(line, delim)
    return n - 1 if n and line.rstrip(" \r\n").endswith(delim) else n


def check_width(sample: str, file_name: str) -> None:
    """Refuse a file whose header row has more than MAX_COLUMNS columns, from a sample, before the body is read."""
    if "\n" not in sample and "\r" not in sample:
        _refuse_wider(_fields(sample, _best(sample)[0]) + 1, file_name)
        return
    candidates = [ln for ln in _lines(sample) if ln.strip()][: TITLE_LINES + 3]
    if candidates:
        line = candidates[_header_position(candidates)]
        _refuse_wider(_fields(line, _best(line)[0]) + 1, file_name)


def _refuse_wider(n_columns: int, file_name: str) -> None:
    if n_columns > MAX_COLUMNS:
        raise IngestError(f"{file_name}: the header row has {n_columns:,} columns, more than the {MAX_COLUMNS} any "
                          "export Huddle reads has; export only the report's own columns and upload it again")


def _lines(sample: str) -> list[str]:
    """The complete lines of a sample, line breaks of any kind (\\r\\n, \\n, \\r) normalized."""
    text = sample.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    return lines[:-1] if len(sample) >= SAMPLE_CHARS and len(lines) > 1 else lines


def _is_title(candidates: list[str], pos: int) -> bool:
    """A report title above the header: fewer than two filled fields, or fewer fields than the two agreeing lines
    below it, which it does not match under its own delimiter either (a `;` header over decimal-comma rows does)."""
    line = candidates[pos]
    own, n = _best(line)
    if n == 0 or sum(1 for f in _parse(line, own) if f.strip()) < 2:
        return True
    below = candidates[pos + 1: pos + 3]
    if not below:
        return False
    d = _best(below[0])[0]
    widths = [_fields(b, d) for b in below]
    if not (_fields(line, d) < widths[0] and len(set(widths)) == 1):
        return False
    return _fields(line, own) != _fields(below[0], own)


def _header_position(candidates: list[str]) -> int:
    """Index of the header row among the first non-blank lines (the first line when all look like titles)."""
    return next((p for p in range(min(len(candidates), TITLE_LINES + 1)) if not _is_title(candidates, p)), 0)


def _parse(line: str, delim: str) -> list[str]:
    return next(csv.reader(io.StringIO(line), delimiter=delim, quotechar='"'), [])


def find_header(sample: str, file_name: str) -> Header:
    """The header row: the first line that is not a report title; its delimiter is the one it uses most."""
    if "\n" not in sample and "\r" not in sample and len(sample) >= SAMPLE_CHARS:
        check_width(sample, file_name)
        raise IngestError(f"{file_name}: the first line is longer than 64 KB, so this is not a CSV export; "
                          "export the report as CSV")
    lines = _lines(sample)
    numbered = [(i, ln) for i, ln in enumerate(lines) if ln.strip()]
    if not numbered:
        raise IngestError(f"{file_name}: the file holds only blank lines; export the report again")
    candidates = [ln for _, ln in numbered[: TITLE_LINES + 3]]
    pos = _header_position(candidates)
    index, line = numbered[pos]
    delim, n = _best(line)
    if n == 0:
        raise IngestError(f"{file_name}: found no delimiter (comma, semicolon or tab) in the first line, so this "
                          "is not a CSV export; export the report as CSV")
    _refuse_wider(_fields(line, delim) + 1, file_name)
    reader = csv.reader(io.StringIO("\n".join(lines[index:])), delimiter=delim, quotechar='"')
    try:
        names = next(reader)
    except (csv.Error, StopIteration) as exc:
        raise IngestError(f"{file_name}: cannot read the header row on line {index + 1} ({exc}); "
                          "save the export again as CSV") from None
    names = [h.replace("\ufeff", "").strip() for h in names]
    if not any(names):
        raise IngestError(f"{file_name}: the header row on line {index + 1} is empty; "
                          "put the column names on the first line of the export")
    header = Header(delim, names, index + 1)
    if pos:
        title = " / ".join(c.strip().strip('"').strip() for c in candidates[:pos])[:120]
        header.warnings.append(f"the header row is on line {index + 1}: the {pos} line(s) above it (a report "
                               f"title: {title}) were skipped")
    return header
