"""Uploads from the browser: saving, kind detection, column choices, and ingestion in a background thread.

Longer than most modules: the job's life cycle (save, preview, load, undo, sweep of abandoned temp files) is one
state machine whose parts share its locks.

A job runs on its own thread with its own connection, so the session that started it keeps rendering progress and
every other session keeps reading (on the file too: a writer changes a private copy, renamed over the file when
done); loads in this process take turns (one writer at a time), and a load waits, then reports clearly, while
another process (the command line) holds the file's or the shared store's writer lock; a preview on the file works
on a scratch copy and waits for nobody. A load returns once its data is committed; the default view is refreshed
afterwards by the process's background worker (analytics.refresh_worker) while pages compute from the committed data. Saved files live in one
private directory per session: a load removes its files when it ends, and directories of abandoned sessions are swept.
(Longer than most modules: everything the Data page's upload tab calls, and nothing else, is here.)
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import db, refresh_worker, stores
from .ingest import mappings, transcripts
from .ingest.columns import match_columns, missing_fields as _missing_groups
from .ingest.convert import DATE_FORMATS  # noqa: F401  (the Data page lists the forceable formats from here)
from .ingest.errors import IngestError
from .ingest.fit import best_kind, kind_fit
from .ingest.header import read_header
from .ingest.health import link_person as _link_person
from .ingest.kinds import KINDS, UPLOAD_KINDS, kind_of_file
from .ingest.load import ingest_file, list_uploads, rejected_rows_table, undo
from .ingest.sniff import sniff_file
from .safe_csv import write_csv
from .settings import MAX_UPLOAD_MB_ENV, PASS_MARK, UPLOAD_TEMP_MAX_AGE_HOURS, max_upload_bytes

WAIT_FOR_FILE_SECONDS = 60.0
# A session's saved uploads (temp_dir) and a reader's UTF-8 copy: tempfile's names, holding only those files.
TEMP_DIR_NAME = re.compile(r"^huddle-(upload-)?[a-z0-9_]{8}$")
TEMP_FILE_NAME = re.compile(r"^([0-9a-f]{32}\.upload|utf8\.csv)$")

_WRITER = threading.Lock()   # one writing job per process at a time; DuckDB would abort the loser of a conflict
_IN_USE: set[str] = set()    # files of jobs running in this process: never swept


def check_size(n_bytes: int, name: str = "the file") -> None:
    """Refuse a file over the upload limit with a message that says the limit."""
    limit = max_upload_bytes()
    if n_bytes > limit:
        raise IngestError(f"{name} is {n_bytes / (1 << 20):.1f} MB, over the {limit / (1 << 20):.0f} MB upload "
                          f"limit ({MAX_UPLOAD_MB_ENV}); split the export or load it with the command line")
    if n_bytes == 0:
        raise IngestError(f"{name} is empty; export the report again")


def save_upload(data: bytes, directory: str | Path, file_name: str | None = None) -> Path:
    """Write uploaded bytes under a generated name: the user's file name is never used as a path."""
    check_size(len(data), file_name or "the file")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{uuid.uuid4().hex}.upload"
    path.write_bytes(data)
    return path


@dataclass(frozen=True)
class FileInfo:
    """What can be told about a file before ingesting it."""

    headers: tuple[str, ...]
    encoding: str
    delimiter: str
    size: int


def sniff(path: str | Path, file_name: str | None = None) -> FileInfo:
    """Encoding, delimiter and header row (raises IngestError, naming `file_name`, for files that are not exports)."""
    path = Path(path)
    name = file_name or path.name
    try:
        enc = sniff_file(path, name).encoding   # also refuses archives, binaries, wide files, long lines
        header = read_header(path, enc, name)
    except (OSError, UnicodeError) as exc:
        raise IngestError(f"{name}: cannot be read ({exc}); choose the file again") from None
    return FileInfo(tuple(header.names), enc, {"\t": "tab"}.get(header.delimiter, header.delimiter),
                    path.stat().st_size)


def detect_kind(headers: list[str] | tuple[str, ...]) -> str | None:
    """The kind whose fields best explain the headers, or None when no kind fits."""
    return best_kind(headers)


def suggest_kind(path: str | Path, file_name: str | None = None) -> str | None:
    """The kind to propose for a saved upload: the best fit, else the kind claiming most columns, else None."""
    return propose_kind(sniff(path, file_name).headers)


def propose_kind(headers: list[str] | tuple[str, ...]) -> str | None:
    """The best-fitting kind for these headers, else the kind claiming most of them, else None (ask the user)."""
    headers = list(headers)
    fits = kind_fit(headers)
    partial = max(UPLOAD_KINDS, key=lambda k: (len(fits[k].columns), -UPLOAD_KINDS.index(k)))
    return best_kind(headers) or (partial if fits[partial].columns else None)


def column_mapping(kind: str, headers: list[str] | tuple[str, ...],
                   overrides: dict[str, str] | None = None) -> dict[str, str]:
    """target field -> header as ingestion would map it (overrides first)."""
    effective = kind_of_file(kind, list(headers), overrides).name
    mapping = match_columns(effective, list(headers), overrides or {})
    return {t: headers[i] for t, i in mapping.items()}


def missing_fields(kind: str, headers: list[str] | tuple[str, ...], overrides: dict[str, str] | None = None) -> list[str]:
    """Required fields the file does not provide, as 'a or b' texts (empty when the file can be loaded)."""
    effective = kind_of_file(kind, list(headers), overrides).name
    return _missing_groups(effective, match_columns(effective, list(headers), overrides or {}))


def remembered_kind(con, headers: tuple[str, ...]) -> str | None:
    """The upload kind of the mapping settled last for files of this shape (CRM users count as crm), or None."""
    kind = mappings.remembered_kind(con, list(headers))
    return None if kind is None else KINDS[kind].upload_as or kind


def remembered_columns(con, kind: str, headers: tuple[str, ...]) -> dict[str, str]:
    """The columns settled before for files of this kind and shape (field -> header), or {}: ingestion applies them."""
    stored = mappings.remembered(con, kind_of_file(kind, list(headers)).name, list(headers))
    return dict(stored["columns"]) if stored else {}


def fields(kind: str) -> list[str]:
    """The mappable fields of a kind."""
    return list(KINDS[kind].spellings)


def is_transcript(path: str | Path, file_name: str) -> bool:
    """Whether a saved upload is a transcript file (.vtt, .srt, or a .txt of speaker lines): loaded with the others
    of its batch as one activity upload."""
    return transcripts.is_transcript(Path(path), file_name)


def transcript_batch(files: list[tuple[str, str]],
                     directory: str | Path) -> tuple[str | None, str, list[str], list[str]]:
    """The batch's transcript files and their side CSV written as one activity export in `directory`:
    (saved path or None when there are no transcripts, the name it loads under, the uploads it holds, warnings)."""
    found, side, _ = transcripts.split_batch([(Path(p), n) for p, n in files])
    if not found:
        return None, "", [], []
    with tempfile.TemporaryDirectory(prefix="huddle-") as tmp:
        b = transcripts.bundle(found, side, tmp)
        digest = hashlib.md5("\x1f".join(sorted(str(p) for p, _ in found + side)).encode()).hexdigest()
        path = Path(directory) / f"{digest}.upload"
        shutil.move(str(b.path), path)
    return str(path), b.file_name, [str(p) for p, _ in found + side], b.warnings


def _pairs(d: dict | None) -> tuple[tuple[str, str], ...]:
    """A dict as sorted (key, value) text pairs, hashable."""
    return tuple(sorted((str(k), str(v)) for k, v in (d or {}).items()))


@dataclass(frozen=True)
class FileSpec:
    """One file to load and the choices made for it (hashable, so a preview can be matched to its confirm)."""

    path: str
    file_name: str
    kind: str
    column_map: tuple[tuple[str, str], ...] = ()
    stage_map: tuple[tuple[str, str], ...] = ()
    date_formats: tuple[tuple[str, str], ...] = ()
    pass_mark: float = PASS_MARK

    @classmethod
    def make(cls, path, file_name, kind, column_map=None, stage_map=None, date_formats=None, pass_mark=PASS_MARK):
        """A spec from plain dicts (as the page holds its choices)."""
        return cls(str(path), file_name, kind, _pairs(column_map), _pairs(stage_map), _pairs(date_formats),
                   float(pass_mark))

    def options(self) -> dict:
        """Keyword arguments for ingest_file."""
        return {"column_map": dict(self.column_map), "stage_map": dict(self.stage_map),
                "date_formats": dict(self.date_formats), "pass_mark": self.pass_mark, "file_name": self.file_name}


@dataclass
class FileOutcome:
    """What happened to one file of a job."""

    spec: FileSpec
    result: object | None = None          # UploadResult
    error: str | None = None
    seconds: float | None = None


@contextmanager
def writing(db_path: str | Path | None = None, wait_seconds: float | None = None, lock: bool = True):
    """A connection for changing data, taken in turn with every other writer in this process (and, on the shared
    store, holding its writer lock unless lock=False: previews write nothing)."""
    wait = WAIT_FOR_FILE_SECONDS if wait_seconds is None else wait_seconds
    cfg = store_of(db_path)
    # A preview on the file works on a scratch copy of its own: it need not wait for this process's writers.
    with _WRITER if lock or cfg.is_lake else nullcontext(), stores.writing(cfg, wait_seconds=wait, lock=lock) as con:
        yield con


def store_of(db_path: str | Path | None) -> stores.StoreConfig:
    """The shared store when $HUDDLE_STORE names one, else the database file db_path."""
    return stores.resolve(None, db_path)


def run_files(db_path: str | Path | None, specs: list[FileSpec], *, dry_run: bool, uploaded_by: str | None,
              on_file=None, on_connect=None) -> list[FileOutcome]:
    """Preview (dry_run) or load files one after another, each all-or-nothing; errors are reported per file."""
    outcomes = [FileOutcome(s) for s in specs]
    try:
        with writing(db_path, lock=not dry_run) as con:
            if on_connect:
                on_connect(con)
            for i, out in enumerate(outcomes):
                if on_file:
                    on_file(i)
                t0 = time.monotonic()
                try:
                    out.result = ingest_file(con, out.spec.kind, out.spec.path, uploaded_by=uploaded_by,
                                             dry_run=dry_run, **out.spec.options())
                except IngestError as exc:
                    out.error = str(exc)
                except Exception as exc:     # an unexpected failure of one file must not hide the others
                    out.error = f"unexpected error: {type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
                out.seconds = time.monotonic() - t0
        if not dry_run and any(o.result is not None for o in outcomes):
            refresh_worker.after_commit(store_of(db_path))   # committed: the default view follows in the background
    except db.DatabaseBusy as exc:
        for out in outcomes:
            if out.result is None and out.error is None:
                out.error = f"{exc} (a command-line upload may be running)"
    return outcomes


def _load_order(spec: FileSpec) -> int:
    """A batch loads the catalog and roster first, so the other files resolve against them."""
    kind = KINDS.get(spec.kind)
    return kind.load_order if kind else 9


class UploadJob:
    """Preview or load files on a background thread; the page polls `state`, `progress()` and `outcomes`."""

    def __init__(self, db_path: str | Path | None, specs: list[FileSpec], *, dry_run: bool, user):
        if not getattr(user, "can_upload", False):
            raise PermissionError("only ops and admin users may upload data")
        self.db_path = str(db.resolve_path(db_path))
        self.specs = tuple(sorted(specs, key=_load_order) if not dry_run else specs)
        self.dry_run = dry_run
        self.uploaded_by = getattr(user, "email", None) or "local user"
        self.state = "waiting"                 # waiting | running | done
        self.outcomes: list[FileOutcome] = [FileOutcome(s) for s in self.specs]
        self.current = 0
        self.started_at = time.monotonic()
        self.finished_at: float | None = None
        self._con = None
        self._thread = threading.Thread(target=self._run, name="huddle-upload", daemon=True)

    def start(self) -> "UploadJob":
        self._thread.start()
        return self

    def _run(self) -> None:
        def connected(con):
            self._con = con
            self.state = "running"
            try:
                con.execute("SET enable_progress_bar = true; SET enable_progress_bar_print = false")
            except Exception:
                pass

        def on_file(i):
            self.current = i
        paths = [s.path for s in self.specs]
        _IN_USE.update(paths)
        try:
            self.outcomes = run_files(self.db_path, list(self.specs), dry_run=self.dry_run,
                                      uploaded_by=self.uploaded_by, on_file=on_file, on_connect=connected)
        except Exception as exc:
            for out in self.outcomes:
                if out.result is None and out.error is None:
                    out.error = f"unexpected error: {type(exc).__name__}: {exc}"
        finally:
            _IN_USE.difference_update(paths)
            if not self.dry_run:
                # Loaded or refused, the files are done with, even if the person closed the page meanwhile.
                remove_files(paths)
            self._con = None
            self.finished_at = time.monotonic()
            self.state = "done"

    def wait(self, timeout: float | None = None) -> bool:
        self._thread.join(timeout)
        return self.state == "done"

    @property
    def done(self) -> bool:
        return self.state == "done"

    @property
    def elapsed(self) -> float:
        return (self.finished_at or time.monotonic()) - self.started_at

    def step_progress(self) -> float | None:
        """Progress (0-1) of the statement running now, from DuckDB, when it reports one."""
        con = self._con
        if con is None:
            return None
        try:
            p = con.query_progress()
        except Exception:
            return None
        return None if p is None or p < 0 else min(p / 100.0, 1.0)

    def progress(self) -> float:
        """Share of the files finished, counting the running file by its current statement."""
        if self.done:
            return 1.0
        n = max(len(self.specs), 1)
        step = self.step_progress() or 0.0
        return min((self.current + 0.9 * step) / n, 0.99)

    def describe(self) -> str:
        """One line of status for the page."""
        verb = "Checking" if self.dry_run else "Loading"
        if self.state == "waiting":
            return f"Waiting for another upload to finish ({self.elapsed:.0f} s)"
        if self.done:
            return f"{'Checked' if self.dry_run else 'Loaded'} {len(self.specs)} file(s) in {self.elapsed:.1f} s"
        name = self.specs[self.current].file_name if self.specs else ""
        return f"{verb} file {self.current + 1} of {len(self.specs)}: {name} ({self.elapsed:.0f} s)"


def undo_upload(db_path: str | Path | None, upload_id: int, user) -> dict:
    """Undo one upload, as an ops or admin user, in turn with other writers."""
    if not getattr(user, "can_upload", False):
        raise PermissionError("only ops and admin users may undo uploads")
    with writing(db_path) as con:
        out = undo(con, int(upload_id))
    refresh_worker.after_commit(store_of(db_path))
    return out


def link_person(db_path: str | Path | None, rep_id: str, roster_rep_id: str, user):
    """Confirm an unmatched person as a roster rep (see analytics.ingest.health.link_person), as ops or admin."""
    if not getattr(user, "can_upload", False):
        raise PermissionError("only ops and admin users may change data")
    with writing(db_path) as con:
        out = _link_person(con, rep_id, roster_rep_id, uploaded_by=getattr(user, "email", None) or "local user")
    refresh_worker.after_commit(store_of(db_path))
    return out


def upload_history(con) -> pd.DataFrame:
    """The upload history, newest first."""
    return list_uploads(con).drop(columns=["sha256"])


def rejects_table(con, upload_id: int) -> pd.DataFrame:
    """An upload's rejected rows: line, reason, then the row's original columns (unreadable lines as `line`)."""
    return rejected_rows_table(con, int(upload_id))


def rejects_csv(con, upload_id: int) -> str:
    """The rejected rows as formula-safe CSV text."""
    return write_csv(rejects_table(con, upload_id))


def temp_dir(base: str | Path | None = None) -> Path:
    """A private directory for one session's uploaded files (abandoned sessions' directories are swept first)."""
    sweep_temp_dirs(base)
    return Path(tempfile.mkdtemp(prefix="huddle-upload-", dir=base))


def sweep_temp_dirs(base: str | Path | None = None, max_age_hours: float = UPLOAD_TEMP_MAX_AGE_HOURS) -> list[Path]:
    """Remove upload directories untouched for `max_age_hours` (their session was closed or the process killed)."""
    base = Path(base or tempfile.gettempdir())
    cutoff = time.time() - max_age_hours * 3600
    removed = []
    try:
        candidates = [d for d in base.iterdir() if TEMP_DIR_NAME.match(d.name) and d.is_dir()]
    except OSError:
        return removed
    for d in candidates:
        try:
            files = list(d.iterdir())
            if not all(TEMP_FILE_NAME.match(f.name) and f.is_file() for f in files):
                continue                      # not one of ours: leave it alone
            if any(str(f) in _IN_USE for f in files):
                continue
            if max([d.stat().st_mtime, *(f.stat().st_mtime for f in files)]) > cutoff:
                continue
            shutil.rmtree(d)
            removed.append(d)
        except OSError:
            continue                          # removed meanwhile by its session, or not ours to remove
    return removed


def remove_files(paths) -> None:
    """Delete saved uploads (after they were loaded or dropped from the uploader)."""
    for p in paths:
        try:
            os.unlink(p)
        except OSError:
            pass
