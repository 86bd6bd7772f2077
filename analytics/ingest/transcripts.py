"""Plain transcript files (.vtt, .srt, .txt with speaker labels): one activity per file, loaded as one upload.

A batch of transcript files, with an optional side CSV naming each file's rep, date and deal, becomes one CSV with a
row per file (format `transcript_files`), which the activity kind then loads like any export: same staging, keys
(the file name), rejects, re-upload and undo. Speaker turns are written as lines "Speaker: text"; rep, date, deal and
title come from the side CSV, else from the file's own header (a WEBVTT NOTE, or first lines such as "Date: ...").
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from .columns import match_columns
from .errors import IngestError
from .formats import norm
from .header import find_header

SUFFIXES = (".vtt", ".srt", ".txt")
MAX_TRANSCRIPT_BYTES = 20 << 20
# The bundle's columns, in order: the activity kind reads them by these headers (see formats/activity_log.py).
COLUMNS = ("Transcript file", "Call ID", "Date", "Rep email", "Rep", "Deal", "Title", "Duration", "Transcript")
# Header keys a transcript may start with (folded) -> bundle column.
HEADER_KEYS = {
    "date": "Date", "datetime": "Date", "calldate": "Date", "meetingdate": "Date", "started": "Date",
    "start": "Date", "when": "Date", "datum": "Date", "fecha": "Date",
    "rep": "Rep", "owner": "Rep", "host": "Rep", "salesrep": "Rep", "repname": "Rep", "user": "Rep",
    "repemail": "Rep email", "email": "Rep email", "owneremail": "Rep email", "hostemail": "Rep email",
    "deal": "Deal", "opportunity": "Deal", "opportunityid": "Deal", "dealid": "Deal", "opportunityname": "Deal",
    "dealname": "Deal", "account": None, "company": None, "participants": None, "attendees": None,
    "title": "Title", "subject": "Title", "topic": "Title", "meeting": "Title", "call": "Title",
    "callid": "Call ID", "meetingid": "Call ID", "id": "Call ID", "duration": "Duration",
}
TIMING = re.compile(r"^\s*(\d{1,2}:)?\d{1,2}:\d{2}([.,]\d{1,3})?\s*-->\s*((\d{1,2}:)?\d{1,2}:\d{2}([.,]\d{1,3})?)")
VOICE = re.compile(r"<v(?:\.[^\s>]+)*\s+([^>]+)>")
TAG = re.compile(r"</?[^>]+>")
STAMP = r"[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?[\])]?"
LABELLED = re.compile(rf"^\s*(?:{STAMP}\s*-?\s*)?([^\W\d_][\w .'’@-]{{0,59}}?)\s*(?:\({STAMP}\))?\s*:\s+(\S.*)$")
OTTER = re.compile(rf"^\s*([^\W\d_][\w .'’@-]{{0,59}}?)\s+{STAMP}\s*$")     # "Jane Doe  0:02", text below


@dataclass
class Transcript:
    """One parsed transcript: its turns (speaker or None, text), the header values found, its length in seconds."""

    turns: list[tuple[str | None, str]] = field(default_factory=list)
    header: dict[str, str] = field(default_factory=dict)
    duration_s: float | None = None

    def body(self) -> str:
        """The text as the activity kind stores it: one line per turn, "Speaker: text" when the speaker is known."""
        return "\n".join(f"{s}: {t}" if s else t for s, t in self.turns)


def _seconds(stamp: str) -> float:
    parts = stamp.replace(",", ".").split(":")
    return sum(float(p) * 60 ** i for i, p in enumerate(reversed(parts)))


def _header_line(line: str, header: dict[str, str]) -> bool:
    """Record a `Key: value` line whose key is a known header key; True when it was one."""
    m = re.match(r"^\s*([^:]{1,30}):\s*(.*?)\s*$", line)
    if not m or norm(m.group(1)) not in HEADER_KEYS:
        return False
    column = HEADER_KEYS[norm(m.group(1))]
    if column and m.group(2) and column not in header:
        header[column] = m.group(2)
    return True


def _add(turns: list, speaker: str | None, text: str) -> None:
    """Append a turn; the same speaker again (or a caption without one) continues the turn before."""
    text = " ".join(text.split())
    if not text:
        return
    if turns and (speaker is None or speaker == turns[-1][0]):
        turns[-1] = (turns[-1][0], f"{turns[-1][1]} {text}")
    else:
        turns.append((speaker.strip() if speaker else None, text))


def _split_speaker(text: str) -> tuple[str | None, str]:
    m = LABELLED.match(text)
    if m and len(m.group(1).split()) <= 5:
        return m.group(1).strip(), m.group(2)
    return None, text


def parse_cues(text: str) -> Transcript:
    """WebVTT or SubRip: cues with timings; speakers from <v Name> voice tags or "Name: " prefixes. A NOTE block
    (WebVTT) or the lines before the first cue may hold `Date: ...`, `Rep: ...` header values."""
    out = Transcript()
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n").strip())
    end = None
    for block in blocks:
        lines = [ln for ln in block.split("\n") if ln.strip()]
        if not lines:
            continue
        timing = next((i for i, ln in enumerate(lines) if TIMING.match(ln)), None)
        if timing is None:      # WEBVTT line, NOTE / STYLE / REGION blocks, header lines
            for ln in lines:
                _header_line(re.sub(r"^(WEBVTT|NOTE)\b\s*", "", ln), out.header)
            continue
        end = _seconds(TIMING.match(lines[timing]).group(3))
        for ln in lines[timing + 1:]:
            voice = VOICE.search(ln)
            plain = TAG.sub("", ln).strip()
            if voice:
                _add(out.turns, voice.group(1).strip(), plain)
            else:
                speaker, said = _split_speaker(re.sub(r"^-\s*", "", plain))
                _add(out.turns, speaker, said)
    out.duration_s = end
    return out


def parse_text(text: str) -> Transcript:
    """A plain transcript: optional `Key: value` header lines, then "Speaker: text" lines ("[00:01:02] Speaker: text",
    or Otter's "Speaker  0:02" with the text below); a line without a label continues the turn before."""
    out = Transcript()
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    i = 0
    while i < len(lines) and (not lines[i].strip() or _header_line(lines[i], out.header)):
        i += 1
    speaker = None
    last_stamp = None
    for ln in lines[i:]:
        if not ln.strip():
            continue
        stamps = re.findall(r"\b(\d{1,2}:\d{2}(?::\d{2})?)\b", ln[:20])
        if stamps:
            last_stamp = stamps[0]
        otter = OTTER.match(ln)
        if otter:
            speaker = otter.group(1).strip()
            continue
        s, said = _split_speaker(ln)
        if s:
            speaker = s
            out.turns.append((s, " ".join(said.split())))
        elif out.turns and out.turns[-1][0] == speaker:
            _add(out.turns, speaker, ln)
        else:
            out.turns.append((speaker, " ".join(ln.split())))
    if last_stamp:
        out.duration_s = _seconds(last_stamp)
    return out


def read_text(path: Path, name: str) -> str:
    """A transcript's text: UTF-8 (with or without BOM), else Windows-1252."""
    data = Path(path).read_bytes()
    if len(data) > MAX_TRANSCRIPT_BYTES:
        raise IngestError(f"{name}: {len(data) >> 20} MB is too long for a transcript; split it")
    if b"\x00" in data[:4096]:
        raise IngestError(f"{name}: this is a binary file, not a transcript")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def parse_file(path: Path, name: str) -> Transcript:
    """Parse one transcript file by its name's suffix (.vtt and .srt by their cues, .txt as plain lines)."""
    text = read_text(path, name)
    if name.lower().endswith((".vtt", ".srt")) or TIMING.search(text[:2000] or ""):
        return parse_cues(text)
    return parse_text(text)


def is_transcript(path: Path, name: str) -> bool:
    """A .vtt or .srt file, or a .txt file that reads as a transcript (speaker lines, not a delimited export)."""
    lower = name.lower()
    if lower.endswith((".vtt", ".srt")):
        return True
    if not lower.endswith(".txt"):
        return False
    try:
        with open(path, "rb") as fh:
            head = fh.read(8192).decode("utf-8", errors="replace")
    except OSError:
        return False
    lines = [ln for ln in head.replace("\r", "\n").split("\n") if ln.strip()]
    if not lines or max(lines[0].count("\t"), lines[0].count(","), lines[0].count(";")) >= 2 and \
            not LABELLED.match(lines[0]):
        return False
    labelled = sum(1 for ln in lines[:60] if LABELLED.match(ln) or OTTER.match(ln))
    return labelled >= 2 or bool(TIMING.search(head))


def _file_key(name: str) -> str:
    """How a side CSV's file name matches an upload: folded, without folders or the suffix."""
    base = re.split(r"[\\/]", name.strip())[-1].lower()
    return re.sub(r"\.(vtt|srt|txt)$", "", base)


@dataclass
class SideTable:
    """A side CSV: its rows by transcript file, the columns read, and the rest (carried into the bundle)."""

    name: str
    rows: dict[str, dict[str, str]]
    extra: list[str]


def read_side_csv(path: Path, name: str, transcript_names: list[str]) -> SideTable | None:
    """The side CSV's rows by file when it has a column naming transcript files of the batch, else None."""
    text = read_text(path, name)
    try:
        header = find_header(text[:65536], name)
    except IngestError:
        return None
    rows = list(csv.reader(io.StringIO(text), delimiter=header.delimiter))[header.line:]
    names = header.names
    wanted = {_file_key(n) for n in transcript_names}
    column = next((i for i in range(len(names)) if sum(1 for r in rows if i < len(r) and _file_key(r[i]) in wanted)),
                  None)
    if column is None:
        return None
    mapping = match_columns("activity", names)
    fields = {"activity_id": "Call ID", "activity_at": "Date", "rep_email": "Rep email", "rep_name": "Rep",
              "deal_ref": "Deal", "deal_name": "Deal", "title": "Title", "duration": "Duration"}
    used = {column}
    out: dict[str, dict[str, str]] = {}
    read = {}
    for f, col in fields.items():
        i = mapping.get(f)
        if i is not None and i != column and col not in read.values():
            read[i] = col
            used.add(i)
    extra = [h for i, h in enumerate(names) if i not in used and h.strip() and h not in COLUMNS]
    for r in rows:
        if column >= len(r) or not r[column].strip():
            continue
        values = {col: r[i].strip() for i, col in read.items() if i < len(r) and r[i].strip()}
        values.update({h: r[i].strip() for i, h in enumerate(names) if h in extra and i < len(r)})
        out[_file_key(r[column])] = values
    return SideTable(name, out, extra)


@dataclass
class Bundle:
    """A batch's transcripts written as one CSV for the activity kind, and what was said about it."""

    path: Path
    file_name: str
    transcripts: list[str]
    side_csv: str | None = None
    warnings: list[str] = field(default_factory=list)


def bundle(transcripts: list[tuple[Path, str]], side: list[tuple[Path, str]], out_dir: str | Path) -> Bundle:
    """Write the transcripts (path, name as uploaded) as one CSV, a row per file in name order; the side CSV's
    values win over each file's own header values."""
    names = sorted(n for _, n in transcripts)
    table = None
    for p, n in side:
        table = table or read_side_csv(Path(p), n, names)
    warnings = []
    if side and table is None:
        warnings.append(f"{', '.join(n for _, n in side)}: no column names the transcript files, so rep, date and "
                        "deal were read from each file's own header")
    rows = []
    for path, name in sorted(transcripts, key=lambda t: t[1]):
        t = parse_file(Path(path), name)
        values = {**t.header, **(table.rows.get(_file_key(name), {}) if table else {})}
        if "Duration" not in values and t.duration_s:
            values["Duration"] = f"{t.duration_s:g}"
        if "@" in values.get("Rep", "") and not values.get("Rep email"):
            values["Rep email"] = values.pop("Rep")      # a rep written as an email is the rep's email
        values["Transcript file"] = name
        values["Transcript"] = t.body()
        rows.append(values)
    if table:
        missing = sorted(set(table.rows) - {_file_key(n) for n in names})
        if missing:
            warnings.append(f"{table.name}: {len(missing)} row(s) name files that are not in this upload "
                            f"({', '.join(missing[:5])}); they were not loaded")
    extra = table.extra if table else []
    # Columns no file fills are left out (an empty column would only be reported as a low-confidence guess).
    columns = [c for c in (*COLUMNS, *extra) if c in ("Transcript file", "Transcript") or any(r.get(c) for r in rows)]
    out = Path(out_dir) / ("transcripts-" + re.sub(r"[^A-Za-z0-9]+", "-", names[0])[:40] + ".csv")
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        for values in rows:
            w.writerow([values.get(c, "") for c in columns])
    label = names[0] if len(names) == 1 else f"{len(names)} transcripts ({names[0]} … {names[-1]})"
    return Bundle(out, label, names, table.name if table else None, warnings)


def split_batch(files: list[tuple[Path, str]]) -> tuple[list[tuple[Path, str]], list[tuple[Path, str]],
                                                        list[tuple[Path, str]]]:
    """(transcripts, side CSVs, other files) of one activity batch: a CSV is a side CSV when it names a transcript."""
    transcripts = [(p, n) for p, n in files if is_transcript(Path(p), n)]
    names = [n for _, n in transcripts]
    side, other = [], []
    for p, n in files:
        if (p, n) in transcripts:
            continue
        if transcripts and read_side_csv(Path(p), n, names) is not None:
            side.append((p, n))
        else:
            other.append((p, n))
    return transcripts, side, other


def prepare_batch(kind: str, files: list[tuple[Path, str]], out_dir: str | Path) -> list[tuple[Path, str, list[str]]]:
    """The files of one upload batch as ingested, (path, name, warnings) in order: for `activity`, the transcript
    files and their side CSV become one bundle, loaded as one upload; every other file goes as it is."""
    if kind != "activity":
        return [(Path(p), n, []) for p, n in files]
    transcripts, side, other = split_batch(files)
    out = [(Path(p), n, []) for p, n in other]
    if transcripts:
        b = bundle(transcripts, side, out_dir)
        out.append((b.path, b.file_name, b.warnings))
    return out
