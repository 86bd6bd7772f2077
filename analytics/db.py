"""Opening the Huddle database: path resolution, schema migration, SQL file loading and transactions."""

from __future__ import annotations

import fcntl
import json
import os
import re
import time
import uuid
import weakref
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache
from collections.abc import Iterator
from pathlib import Path

import duckdb

from . import settings

ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = ROOT / "sql"
DEFAULT_DB = ROOT / "data" / "huddle.duckdb"
# The demo company lives in a file of its own, shown only when no database is configured (see dashboard_path).
DEMO_DB = ROOT / "data" / "demo.duckdb"
DEMO_FLAG_TABLE = "demo_database"      # present only in a database built by analytics.demo_load
DEMO_UPLOADER = "demo"                 # uploaded_by of the demo's uploads

# Normalizes a person's name for matching: accents, case, punctuation, spacing, "Last, First".
MACROS = r"""
CREATE OR REPLACE MACRO name_key(x) AS nullif(trim(regexp_replace(regexp_replace(
    lower(strip_accents(CASE WHEN regexp_matches(x, '^[^,]+,[^,]+$')
                             THEN trim(split_part(x, ',', 2)) || ' ' || trim(split_part(x, ',', 1))
                             ELSE x END)),
    '[^a-z0-9]+', ' ', 'g'), '\s+', ' ', 'g')), '');
CREATE OR REPLACE MACRO text_key(x) AS nullif(trim(regexp_replace(regexp_replace(
    lower(strip_accents(x)), '[^a-z0-9]+', ' ', 'g'), '\s+', ' ', 'g')), '');
CREATE OR REPLACE MACRO email_key(x) AS nullif(lower(trim(x)), '');
"""


class DatabaseBusy(RuntimeError):
    """Another process holds the database file."""


def configured_path(path: str | os.PathLike | None = None) -> Path | None:
    """--db, else $HUDDLE_DB, else None (nobody chose a database)."""
    if path:
        return Path(path)
    env = os.environ.get(settings.DB_ENV)
    return Path(env) if env else None


def resolve_path(path: str | os.PathLike | None = None) -> Path:
    """--db, else $HUDDLE_DB, else data/huddle.duckdb."""
    return configured_path(path) or DEFAULT_DB


def dashboard_path() -> Path:
    """The dashboard's database: the configured one; unconfigured, data/huddle.duckdb unless only the demo exists.

    So a database someone names is never filled with the demo, and the demo shows only on a first run.
    """
    configured = configured_path()
    if configured is not None or DEFAULT_DB.exists() or not DEMO_DB.exists():
        return configured or DEFAULT_DB
    return DEMO_DB


def is_demo(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the database holds the demo company (its flag, or an active upload made by the demo builder)."""
    flagged = con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = $t AND NOT temporary",
                          {"t": DEMO_FLAG_TABLE}).fetchone()[0]
    if flagged:
        return True
    return con.execute("SELECT count(*) FROM uploads WHERE uploaded_by = $who AND status = 'active'",
                       {"who": DEMO_UPLOADER}).fetchone()[0] > 0


# Open transactions per connection (or cursor): DuckDB has no savepoints, so a nested block joins the outer one.
_DEPTH: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@contextmanager
def atomic(con: duckdb.DuckDBPyConnection, *, rollback: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction: COMMIT at the end (ROLLBACK with rollback=True, for previews), ROLLBACK and re-raise on error.

    A block inside another joins it: its error rolls back the whole outer transaction, which is what callers of a
    nested step expect without savepoints.
    """
    depth = _DEPTH.get(con, 0)
    if depth:
        if rollback:
            raise RuntimeError("a rolled-back preview cannot run inside another transaction")
        _DEPTH[con] = depth + 1
        try:
            yield con
        finally:
            _DEPTH[con] = depth
        return
    con.execute("BEGIN TRANSACTION")
    _DEPTH[con] = 1
    try:
        yield con
    except BaseException:
        _DEPTH.pop(con, None)
        rollback_quietly(con)
        raise
    _DEPTH.pop(con, None)
    if rollback:
        con.execute("ROLLBACK")
    else:
        try:
            con.execute("COMMIT")
        except BaseException:
            rollback_quietly(con)
            raise


def rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    """ROLLBACK after a failure; an error of the rollback itself must not hide the failure that caused it.

    A COMMIT that fails (a conflicting writer on the shared store) has rolled back already, so the ROLLBACK after
    it reports "no transaction is active": that is not an error either.
    """
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass


def is_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether con works in a DuckLake (the shared store) rather than a DuckDB file."""
    row = con.execute("SELECT type FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    return bool(row) and row[0][0] == "ducklake"


def commit_message(con: duckdb.DuckDBPyConnection, author: str | None, message: str, extra: dict | None = None):
    """Record who changed what with the transaction in progress (the shared store's history); no-op on a file."""
    if is_lake(con):
        con.execute("CALL ducklake_set_commit_message(current_database(), $a, $m, extra_info => $x)",
                    {"a": author, "m": message, "x": json.dumps(extra or {}, default=str)})


INCLUDE = re.compile(r"\{\{\s*([\w/]+\.sql)\s*\}\}")


@lru_cache(maxsize=None)
def sql(name: str) -> str:
    """Text of a SQL file under sql/, e.g. sql('marts/fct_deals.sql'); `{{ marts/x.sql }}` includes another file."""
    text = (SQL_DIR / name).read_text(encoding="utf-8")
    return INCLUDE.sub(lambda m: sql(m.group(1)), text)


def migrations() -> list[tuple[int, Path]]:
    """Schema files as (version, path), in order."""
    out = []
    for p in sorted((SQL_DIR / "schema").glob("*.sql")):
        m = re.match(r"(\d+)_", p.name)
        if m:
            out.append((int(m.group(1)), p))
    seen: dict[int, Path] = {}
    for version, p in out:
        if version in seen:   # two files of one number: the second would be skipped silently on every database
            raise RuntimeError(f"schema files {seen[version].name} and {p.name} share version {version}; renumber one")
        seen[version] = p
    return out


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Create or upgrade the schema; returns the schema version now in force."""
    con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER, applied_at TIMESTAMP)")
    current = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
    for version, path in migrations():
        if version <= current:
            continue
        with atomic(con):
            con.execute(path.read_text(encoding="utf-8"))
            con.execute("INSERT INTO schema_version VALUES ($v, $t)", {"v": version, "t": _now()})
        current = version
    try:
        con.execute("SELECT text_key('x'), name_key('x'), email_key('x')")   # cheaper than duckdb_functions()
    except duckdb.CatalogException:
        con.execute(MACROS)
    return current


def connect(path: str | os.PathLike | None = None, read_only: bool = False,
            wait_seconds: float = 30.0) -> duckdb.DuckDBPyConnection:
    """Open (and migrate) the database, waiting while another process holds the file."""
    target = resolve_path(path)
    if str(target) != ":memory:":
        target.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    delay = 0.1
    while True:
        try:
            con = duckdb.connect(str(target), read_only=read_only and target.exists())
            break
        except duckdb.ConnectionException as exc:
            # This process has the file open for writing already (e.g. the background refresh): a read-only
            # request shares that instance instead, and reads as any other connection of it.
            if not (read_only and "different configuration" in str(exc)):
                raise
            return duckdb.connect(str(target))
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                if "lock" in str(exc).lower():
                    raise DatabaseBusy(
                        f"the database {target} is in use by another process; "
                        "try again when it is free") from None
                raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
    # DuckDB draws a progress bar on stdout for long statements: it would corrupt the CLI's JSON and CSV.
    con.execute("SET enable_progress_bar = false")
    if not (read_only and target.exists()):
        migrate(con)
    return con


def schema_behind(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the database lacks schema files or macros this code needs (a reader cannot migrate: it asks a writer)."""
    try:
        current = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
        con.execute("SELECT text_key('x'), name_key('x'), email_key('x')")
    except duckdb.CatalogException:
        return True
    return current < max((v for v, _ in migrations()), default=0)


# ------------------------------------------------------------------------------------------ the file's locks
# On the local file every writer works on a private copy and publishes it by renaming it over the file (analytics.
# stores); these are the pieces that touch the file system. Names beside the file, all starting with its name:
#   <file>.write.lock   the writers' lock (flock: released when its holder exits, even by kill -9)
#   <file>.next-<pid>-<hex>.duckdb   a writer's copy, renamed over the file when its change is done
#   <file>.read-<pid>-<hex>.duckdb   a reader's hard link, removed as soon as the reader has the file open
#   <file>.preview-<pid>-<hex>.duckdb   a preview's scratch copy, removed when the preview ends

def side_file(path: str | os.PathLike, role: str) -> Path:
    """A fresh name beside the database file for a copy or link (role: next, read or preview)."""
    path = Path(path)
    return path.with_name(f"{path.name}.{role}-{os.getpid()}-{uuid.uuid4().hex[:12]}.duckdb")


def sweep_side_files(path: str | os.PathLike, writer: bool = False) -> list[Path]:
    """Remove links and copies left beside the file by processes that died; a writer (holding the lock) also removes
    every writer's copy, since no other writer can be at work."""
    path = Path(path)
    pattern = re.compile(rf"{re.escape(path.name)}\.(next|read|preview)-(\d+)-[0-9a-f]+\.duckdb(\.wal)?")
    removed = []
    try:
        beside = [p for p in path.parent.iterdir() if p.name.startswith(f"{path.name}.")]
    except OSError:
        return removed
    for p in beside:
        m = pattern.fullmatch(p.name)
        if m is None or (m.group(1) == "next" and not writer) or (m.group(1) != "next" and _alive(int(m.group(2)))):
            continue
        p.unlink(missing_ok=True)
        removed.append(p)
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@contextmanager
def write_lock(path: str | os.PathLike, wait_seconds: float = 30.0):
    """Hold the file's writer lock for the block: one writer at a time, across threads and processes."""
    lock = Path(f"{path}.write.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a") as handle:
        deadline = time.monotonic() + wait_seconds
        delay = 0.05
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise DatabaseBusy(f"another upload or change is writing to {path}; "
                                       "try again when it has finished") from None
                time.sleep(delay)
                delay = min(delay * 2, 0.5)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def holder(path: str | os.PathLike) -> str | None:
    """Who has the file open for writing outside the copy-and-rename protocol: 'here', 'elsewhere' or None.

    'here' is a connection of this process made with connect() (tests, `analytics.refresh`); 'elsewhere' another
    process holding DuckDB's own file lock (an older Huddle, the duckdb command line).
    """
    try:
        con = duckdb.connect(str(path), read_only=True)
    except duckdb.ConnectionException as exc:
        if "different configuration" in str(exc):
            return "here"
        raise
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            return "elsewhere"
        raise
    con.close()
    return None


def open_read(path: str | os.PathLike, wait_seconds: float = 20.0) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the file's current version, waiting while another program holds it for writing.

    Opened through a private hard link, removed once open: a writer that renames a new version over the file meanwhile
    leaves this reader on the version it opened (kept by the system until closed), and DuckDB's cache of open
    databases, keyed by path, cannot hand a later reader of this process the older version. A file with a
    write-ahead log beside it (a connect() writer is at work, or died) is opened itself, as before, so the log is read.
    """
    path = Path(path)
    deadline = time.monotonic() + wait_seconds
    delay = 0.1
    while True:
        link = None
        if not Path(f"{path}.wal").exists():
            link = side_file(path, "read")
            try:
                os.link(path, link)
            except FileNotFoundError:
                # Linux refuses to link a version a writer has just renamed a newer one over (its last name is
                # gone, ENOENT): the path names the new version now, so link again. No file at all is an error.
                if path.exists() and time.monotonic() < deadline:
                    continue
                raise
            except OSError:          # no hard links here (permissions, file system): open the file itself
                link = None
        try:
            con = duckdb.connect(str(link or path), read_only=True)
            break
        except duckdb.ConnectionException as exc:
            # This process has the file open for writing (a connect() writer): share that instance, as before.
            if link is None and "different configuration" in str(exc):
                con = duckdb.connect(str(path))
                break
            raise
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                if "lock" in str(exc).lower():
                    raise DatabaseBusy(f"the database {path} is in use by another process; "
                                       "try again when it is free") from None
                raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
        finally:
            if link is not None:
                link.unlink(missing_ok=True)
    con.execute("SET enable_progress_bar = false")
    return con


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A number that changes with every upload or undo (the cache key for pages)."""
    return con.execute("SELECT coalesce(max(version), 0) FROM data_version").fetchone()[0]


def bump_data_version(con: duckdb.DuckDBPyConnection) -> None:
    """Mark the data as changed (pages' caches and stored results key on data_version)."""
    con.execute("INSERT INTO data_version SELECT coalesce(max(version), 0) + 1, $t FROM data_version",
                {"t": _now()})


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)
