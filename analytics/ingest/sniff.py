"""The bytes of an upload, scanned once before it is read: what kind of file it is, its encoding, its line breaks,
and the UTF-8 copy DuckDB reads when the file needs one."""

from __future__ import annotations

import codecs
import hashlib
from pathlib import Path
from typing import NamedTuple

from ..settings import MAX_UPLOAD_MB_ENV, max_upload_bytes
from .errors import IngestError
from .header import SAMPLE_CHARS, check_width

CHUNK = 1 << 24
MAX_LINE_BYTES = 4 << 20


class Sniffed(NamedTuple):
    """What the byte scan of a file found: its digest, its encoding and whether it must be rewritten first."""

    sha256: str
    encoding: str
    needs_transcode: bool        # not UTF-8, a byte-order mark past the start, or old-Mac (bare CR) line breaks
    normalize_newlines: bool     # bare CR breaks only: rewritten as LF so that line numbers count them
    mixed_newlines: bool         # more than one kind of break: rewritten if DuckDB's reader refuses the file


def sniff_file(path: Path, file_name: str | None = None) -> Sniffed:
    """Scan the bytes once, refusing files that are not text, are too wide, or have a line over the limit."""
    name = file_name or path.name
    size = path.stat().st_size
    if size == 0:
        raise IngestError(f"{name}: the file is empty; export the report again")
    limit = max_upload_bytes()
    if size > limit:
        raise IngestError(f"{name}: the file is {size / (1 << 20):.0f} MB, over the "
                          f"{limit / (1 << 20):.0f} MB upload limit ({MAX_UPLOAD_MB_ENV}); split the export")
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        head = fh.read(CHUNK)
        digest.update(head)
        if head.startswith(b"PK\x03\x04") or head.startswith(b"\x1f\x8b"):
            raise IngestError(f"{name}: this is a compressed archive, not a CSV export; unzip it first")
        if head.startswith(b"%PDF") or head.startswith(b"\xd0\xcf\x11\xe0"):
            raise IngestError(f"{name}: this is not a CSV export (a PDF or an old Excel file); "
                              "export the report as CSV")
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            enc = "utf-16"
        elif head.startswith(codecs.BOM_UTF8):
            enc = "utf-8-sig"
        else:
            if b"\x00" in head[:8192]:
                raise IngestError(f"{name}: this is a binary file, not a CSV export; export the report as CSV")
            enc = "utf-8"
        # Too many columns is told from the first lines, before the body is scanned.
        check_width(_first_lines(head, enc), name)
        decoder = codecs.getincrementaldecoder("utf-8")() if enc != "utf-16" else None
        chunk = head
        lines = _LineLengths()
        breaks = _LineBreaks(skip_bom=enc == "utf-8-sig")
        while True:
            lines.feed(chunk)
            if enc != "utf-16":
                breaks.feed(chunk)
            if lines.longest > MAX_LINE_BYTES:
                raise IngestError(f"{name}: line {lines.longest_at:,} is {lines.longest / (1 << 20):.0f} MB long, "
                                  f"over the {MAX_LINE_BYTES >> 20} MB a line may be; this is not a CSV export "
                                  "(check its quotes)")
            if decoder is not None and enc.startswith("utf-8"):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError:
                    enc = "cp1252"
                    decoder = None
            chunk = fh.read(CHUNK)
            if not chunk:
                break
            digest.update(chunk)
    if enc == "cp1252" and _has_undefined_cp1252(path):
        enc = "iso-8859-1"
    cr_only = breaks.cr_only
    return Sniffed(digest.hexdigest(), enc, enc not in ("utf-8", "utf-8-sig") or cr_only or breaks.inner_bom,
                   cr_only, breaks.mixed)


def _first_lines(head: bytes, enc: str) -> str:
    """The start of a file as text: its first 64 KB, or its whole first line when that is longer."""
    if enc == "utf-16":
        return head[: 2 * SAMPLE_CHARS].decode("utf-16", errors="replace")
    end = SAMPLE_CHARS if b"\n" in head[:SAMPLE_CHARS] or b"\r" in head[:SAMPLE_CHARS] else head.find(b"\n")
    return head[: end if end > 0 else len(head)].decode("utf-8", errors="replace")


class _LineBreaks:
    """Which line breaks (CRLF, LF, bare CR) a byte stream uses, and whether a byte-order mark appears later."""

    def __init__(self, skip_bom: bool):
        self.crlf = self.lf = self.cr = 0
        self.inner_bom = False
        self._pending_cr = False         # the chunk ended on CR: the next one tells whether it was CRLF
        self._prev = b""
        self._start = len(codecs.BOM_UTF8) if skip_bom else 0

    def feed(self, chunk: bytes) -> None:
        # Counted in place (no copies of the 16 MB chunk); a mark or a CRLF may straddle two chunks.
        if not self.inner_bom and (chunk.find(codecs.BOM_UTF8, self._start) >= 0
                                   or codecs.BOM_UTF8 in self._prev + chunk[:2]):
            self.inner_bom = True
        self._prev, self._start = chunk[-2:], 0
        start, end = 0, len(chunk)
        if self._pending_cr:
            if chunk[:1] == b"\n":
                self.crlf, start = self.crlf + 1, 1
            else:
                self.cr += 1
        self._pending_cr = chunk.endswith(b"\r")
        end -= self._pending_cr
        cr = chunk.count(b"\r", start, end)
        crlf = chunk.count(b"\r\n", start, end) if cr else 0      # most files have no CR at all
        self.crlf += crlf
        self.lf += chunk.count(b"\n", start, end) - crlf
        self.cr += cr - crlf

    @property
    def mixed(self) -> bool:
        """More than one kind of line break (outside quotes, DuckDB's reader refuses such a file)."""
        return sum(1 for n in (self.crlf, self.lf, self.cr + self._pending_cr) if n) > 1

    @property
    def cr_only(self) -> bool:
        return self.cr + self._pending_cr > 0 and not self.crlf and not self.lf


class _LineLengths:
    """The longest line seen so far in a byte stream fed chunk by chunk, and its line number."""

    def __init__(self):
        self.current = self.longest = 0
        self.line = self.longest_at = 1

    def feed(self, chunk: bytes) -> None:
        if self.current + len(chunk) <= MAX_LINE_BYTES or not _line_over(chunk, self.current, MAX_LINE_BYTES):
            # No line reaches the limit: only the count and the line still running are needed (no list of lines).
            breaks = chunk.count(b"\n")
            self.current = len(chunk) - chunk.rfind(b"\n") - 1 if breaks else self.current + len(chunk)
            self.line += breaks
            return
        lens = list(map(len, chunk.split(b"\n")))
        lens[0] += self.current
        if len(lens) > 1:
            longest = max(lens[:-1])
            if longest > self.longest:
                self.longest, self.longest_at = longest, self.line + lens.index(longest)
        self.line += len(lens) - 1
        self.current = lens[-1]
        if self.current > self.longest:     # the line still running at the end of the chunk
            self.longest, self.longest_at = self.current, self.line


def _line_over(chunk: bytes, running: int, limit: int) -> bool:
    """Whether a line in `chunk` (the first one already `running` bytes long) is longer than `limit`: jumps from
    line start to the last break within `limit` bytes, so a chunk of short lines costs a few finds, not a split."""
    pos = -running
    while len(chunk) - pos > limit:
        nl = chunk.rfind(b"\n", max(pos, 0), pos + limit + 1)
        if nl < 0:
            return True
        pos = nl + 1
    return False


def _has_undefined_cp1252(path: Path) -> bool:
    undefined = {0x81, 0x8D, 0x8F, 0x90, 0x9D}
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            if undefined.intersection(chunk):
                return True
    return False


def transcode(path: Path, encoding: str, tmpdir: str, newlines: bool, file_name: str) -> Path:
    """Copy a file to UTF-8, streaming: without byte-order marks, line breaks as LF when they were mixed."""
    out = Path(tmpdir) / "utf8.csv"
    carry = ""
    try:
        with path.open("r", encoding=encoding, newline="") as src, \
                out.open("w", encoding="utf-8", newline="") as dst:
            while chunk := src.read(CHUNK // 4):
                chunk = carry + chunk.replace("\ufeff", "")
                if newlines:
                    # A CR at the end of a chunk may be half of a CRLF: keep it for the next one.
                    carry = "\r" if chunk.endswith("\r") else ""
                    chunk = (chunk[:-1] if carry else chunk).replace("\r\n", "\n").replace("\r", "\n")
                dst.write(chunk)
            if carry:
                dst.write("\n")
    except UnicodeError as exc:
        raise IngestError(f"{file_name}: cannot be read as {encoding} text ({exc.reason}); "
                          "save the export again as CSV (UTF-8)") from None
    return out
