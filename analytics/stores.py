"""Either store through one door: a connection to read, a connection to write, the version that keys caches.

The local DuckDB file (the default) and the shared DuckLake (analytics.lake) answer the same SQL, so callers take
a connection from here and never ask which store it is. On the file, DuckDB's file lock lets one process in at a
time; on the lake, readers work at a snapshot and writers take the advisory lock (analytics.lake_write).
"""

from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from pathlib import Path

from . import db, lake, lake_write
from .store_config import StoreConfig, resolve

__all__ = ["StoreConfig", "resolve", "open_lake", "reading", "writing", "write", "version_key"]

_migrated: set[StoreConfig] = set()
_migrate_lock = threading.Lock()


def open_lake(cfg: StoreConfig) -> lake.Lake:
    """The process's lake for cfg, its schema brought up to date on first use."""
    store = lake.get(cfg)
    with _migrate_lock:
        if cfg not in _migrated:
            lake_write.migrate(store)
            _migrated.add(cfg)
    return store


def forget(cfg: StoreConfig) -> None:
    """Close the process's lake for cfg (tests; a process otherwise keeps it open)."""
    with _migrate_lock:
        _migrated.discard(cfg)
    lake.forget(cfg)


@contextmanager
def reading(cfg: StoreConfig, wait_seconds: float = 20.0):
    """A connection for one request's reads: the whole request sees one committed state."""
    if cfg.is_lake:
        with open_lake(cfg).reading() as (cur, _snapshot):
            yield cur
        return
    con = db.connect(cfg.path, wait_seconds=wait_seconds)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def writing(cfg: StoreConfig, wait_seconds: float | None = None, lock: bool = True):
    """A connection for changes; on the lake the writer lock is held for the block (lock=False: previews only)."""
    if cfg.is_lake:
        store = open_lake(cfg)
        if lock:
            with lake_write.writer(store, wait_seconds) as cur:
                yield cur
            return
        cur = store.cursor()
        try:
            yield cur
        finally:
            db.rollback_quietly(cur)
            cur.close()
        return
    con = db.connect(cfg.path, wait_seconds=lake_write.wait_seconds_or_default(wait_seconds))
    try:
        yield con
    finally:
        con.close()


def write(cfg: StoreConfig, fn, *args, wait_seconds: float | None = None, **kwargs):
    """fn(con, *args, **kwargs) as one writer; on the lake under the lock, re-run when its COMMIT conflicts."""
    if cfg.is_lake:
        return lake_write.write(open_lake(cfg), fn, *args, wait_seconds=wait_seconds, **kwargs)
    with writing(cfg, wait_seconds) as con:
        return fn(con, *args, **kwargs)


def version_key(cfg: StoreConfig) -> tuple:
    """Changes whenever the data changes: the lake's snapshot id, or the file's (and its log's) size and time."""
    if cfg.is_lake:
        return ("ducklake", cfg.data_path, open_lake(cfg).snapshot_id())
    out: list = [str(cfg.path)]
    for p in (Path(cfg.path), Path(str(cfg.path) + ".wal")):
        try:
            s = os.stat(p)
            out.append((s.st_mtime_ns, s.st_size))
        except FileNotFoundError:
            out.append(None)
    return tuple(out)
