"""Writing to the shared store one writer at a time, and its upkeep (`python -m analytics maintain`).

DuckLake lets two transactions commit appends to one table side by side, so ids taken as max + 1 would repeat;
and conflicting deletes make one writer fail at COMMIT. Every writer (ingest, undo, link, refresh, migration,
maintenance) therefore holds one PostgreSQL advisory lock while it works, and begins its transactions only once it
holds it, so each starts from the previous writer's committed snapshot. The lock is a session lock: a writer that
dies (even by kill -9) releases it with its connection, and its uncommitted data files are orphans for `maintain`.
"""

from __future__ import annotations

import hashlib
import os
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import duckdb
import psycopg

from . import db, settings
from .lake import ALIAS, Lake, pending_migrations
from .store_config import StoreConfigError

WAIT_SECONDS = 30.0     # how long a writer waits for another by default; $HUDDLE_WRITE_WAIT_SECONDS sets it
RETRIES = 2


class WriterBusy(db.DatabaseBusy):
    """Another writer held the shared store for longer than we were willing to wait."""


class CommitFailed(RuntimeError):
    """A COMMIT kept conflicting with another writer; nothing of the change was saved."""


def lock_key(lake: Lake) -> int:
    """The advisory lock's number: one per lake (its data path), as a signed 64-bit integer."""
    digest = hashlib.sha256(f"huddle writer {lake.cfg.data_path}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def wait_seconds_or_default(wait_seconds: float | None) -> float:
    """wait_seconds, else $HUDDLE_WRITE_WAIT_SECONDS (e.g. longer for a nightly ingest), else WAIT_SECONDS."""
    if wait_seconds is not None:
        return wait_seconds
    try:
        return float(os.environ.get(settings.WRITE_WAIT_ENV) or WAIT_SECONDS)
    except ValueError:
        raise StoreConfigError(f"{settings.WRITE_WAIT_ENV} must be a number of seconds") from None


@contextmanager
def writer_lock(lake: Lake, wait_seconds: float | None = None):
    """Hold the lake's writer lock for the block; raises WriterBusy after wait_seconds."""
    wait_seconds = wait_seconds_or_default(wait_seconds)
    key = lock_key(lake)
    with psycopg.connect(lake.cfg.conninfo, autocommit=True, application_name="huddle writer") as pg:
        if wait_seconds <= 0:
            got = pg.execute("SELECT pg_try_advisory_lock(%s)", (key,)).fetchone()[0]
        else:
            pg.execute("SELECT set_config('lock_timeout', %s, false)", (f"{int(wait_seconds * 1000)}ms",))
            try:
                pg.execute("SELECT pg_advisory_lock(%s)", (key,))
                got = True
            except psycopg.errors.LockNotAvailable:
                got = False
        if not got:
            raise WriterBusy(f"another upload or maintenance is writing to {lake.cfg.describe()}; "
                             "try again when it has finished")
        try:
            yield
        finally:
            if not pg.closed:
                pg.execute("SELECT pg_advisory_unlock(%s)", (key,))


@contextmanager
def writer(lake: Lake, wait_seconds: float | None = None):
    """A cursor for changing data while holding the writer lock (for work of several transactions)."""
    with writer_lock(lake, wait_seconds):
        cur = lake.cursor()
        try:
            yield cur
        finally:
            db.rollback_quietly(cur)
            cur.close()


def is_commit_conflict(exc: BaseException) -> bool:
    return isinstance(exc, duckdb.TransactionException) and "Failed to commit" in str(exc)


def write(lake: Lake, fn, *args, retries: int = RETRIES, wait_seconds: float | None = None, **kwargs):
    """fn(cursor, *args, **kwargs) under the writer lock; re-run from scratch when its COMMIT conflicts.

    fn must make one transaction (ingest_file, undo), so a re-run after a failed COMMIT starts from nothing.
    """
    for attempt in range(retries + 1):
        with writer(lake, wait_seconds) as cur:
            try:
                return fn(cur, *args, **kwargs)
            except duckdb.TransactionException as exc:
                if not is_commit_conflict(exc):
                    raise
                if attempt == retries:
                    raise CommitFailed(f"the change could not be saved: another writer changed the same data "
                                       f"{retries + 1} times in a row ({str(exc).splitlines()[-1][:200]})") from None
        time.sleep(0.05 * (attempt + 1))


def migrate(lake: Lake) -> int:
    """Create or upgrade the lake's schema under the writer lock (replicas may start together)."""
    with writer(lake) as cur:
        with db.atomic(cur):
            todo = pending_migrations(cur)
            for version, ddl in todo:
                cur.execute(ddl)
                cur.execute("INSERT INTO schema_version VALUES ($v, $t)", {"v": version, "t": _now()})
            try:
                cur.execute("SELECT text_key('x'), name_key('x'), email_key('x')")
            except duckdb.CatalogException:
                cur.execute(db.MACROS)
            if todo:
                db.commit_message(cur, "huddle", f"schema version {todo[-1][0]}")
        return cur.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]


def maintain(lake: Lake, expire_days: float = 7.0, orphan_hours: float = 1.0,
             wait_seconds: float | None = None) -> dict:
    """Nightly upkeep: flush inlined rows, merge small files, expire old snapshots, delete unreferenced files.

    Files are deleted only when older than orphan_hours, never with cleanup_all: a reader at an older snapshot, or
    a writer on another host still writing its files, keeps what it uses.
    """
    now = datetime.now(timezone.utc)   # bound as ISO text: binding an aware datetime needs pytz
    files_older = now - timedelta(hours=orphan_hours)
    steps = [
        ("inlined_flushed", f"SELECT count(*) FROM ducklake_flush_inlined_data('{ALIAS}')", {}),
        ("files_merged", f"SELECT count(*) FROM ducklake_merge_adjacent_files('{ALIAS}')", {}),
        ("snapshots_expired", _older("expire_snapshots"), {"t": (now - timedelta(days=expire_days)).isoformat()}),
        ("old_files_deleted", _older("cleanup_old_files"), {"t": files_older.isoformat()}),
        ("orphaned_files_deleted", _older("delete_orphaned_files"), {"t": files_older.isoformat()}),
    ]
    out = {"store": lake.cfg.describe()}
    with writer(lake, wait_seconds) as cur:
        for name, statement, params in steps:
            # fetchall: a result left half-read keeps its statement's transaction open (nothing commits);
            # count(*) in SQL: fetching the rows themselves (TIMESTAMPTZ values) would need pytz.
            out[name] = cur.execute(statement, params).fetchall()[0][0]
        out["snapshot_id"] = lake.snapshot_id(cur)
    return out


def _older(function: str) -> str:
    return f"SELECT count(*) FROM ducklake_{function}('{ALIAS}', older_than => $t::TIMESTAMPTZ)"


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)
