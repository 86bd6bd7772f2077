"""Either store through one door: a connection to read, a connection to write, the version that keys caches.

The local DuckDB file (the default) and the shared DuckLake (analytics.lake) answer the same SQL, so callers take
a connection from here and never ask which store it is. On the lake, readers work at a snapshot and writers take the
advisory lock (analytics.lake_write). On the file, readers open the version in place when they start, read-only,
and never wait for a writer: each writer takes the file's writer lock, works on a private copy of the file, and
renames the copy over the file when its change is done (a reader keeps the version it opened until it closes it).
A writer that fails or dies leaves the file as it was. A connection opened with db.connect itself (tests, tools)
still works in place, as DuckDB's own lock allows: while one is at work, writers and readers go through it.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from contextlib import contextmanager
from pathlib import Path

from . import db, lake, lake_write, settings
from .store_config import StoreConfig, resolve

__all__ = ["StoreConfig", "resolve", "open_lake", "reading", "writing", "write", "version_key", "snapshot"]

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
    """A connection for one request's reads: the whole request sees one committed state (on the file: read-only, the
    version in place when it opened, never waiting for a writer of the protocol)."""
    if cfg.is_lake:
        with open_lake(cfg).reading() as (cur, _snapshot):
            yield cur
        return
    path = Path(cfg.path)
    if not path.exists():
        with _file_writing(path, wait_seconds):     # a first read creates the database, as a writer
            pass
    con = db.open_read(path, wait_seconds=wait_seconds)
    if db.schema_behind(con):                       # newer code than the file: a writer migrates it first
        con.close()
        with _file_writing(path, wait_seconds):
            pass
        con = db.open_read(path, wait_seconds=wait_seconds)
    try:
        yield con
    finally:
        con.close()


@contextmanager
def writing(cfg: StoreConfig, wait_seconds: float | None = None, lock: bool = True):
    """A connection for changes, held as the one writer for the block (lock=False: previews only, which change nothing:
    on the lake an unlocked cursor, on the file a scratch copy that is thrown away)."""
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
    wait = lake_write.wait_seconds_or_default(wait_seconds)
    with (_file_writing if lock else _file_scratch)(Path(cfg.path), wait) as con:
        yield con


def write(cfg: StoreConfig, fn, *args, wait_seconds: float | None = None, **kwargs):
    """fn(con, *args, **kwargs) as one writer; on the lake under the lock, re-run when its COMMIT conflicts."""
    if cfg.is_lake:
        return lake_write.write(open_lake(cfg), fn, *args, wait_seconds=wait_seconds, **kwargs)
    with writing(cfg, wait_seconds) as con:
        return fn(con, *args, **kwargs)


def version_key(cfg: StoreConfig) -> tuple:
    """Changes whenever the data changes: the lake's snapshot id, or the file's identity, size and time (a published
    version is a new file) and its log's size and time."""
    if cfg.is_lake:
        return ("ducklake", cfg.data_path, open_lake(cfg).snapshot_id())
    out: list = [str(cfg.path)]
    for p in (Path(cfg.path), Path(str(cfg.path) + ".wal")):
        try:
            s = os.stat(p)
            out.append((s.st_ino, s.st_mtime_ns, s.st_size))
        except FileNotFoundError:
            out.append(None)
    return tuple(out)


def snapshot(cfg: StoreConfig, dest: str | os.PathLike, wait_seconds: float = 30.0) -> None:
    """A private copy of the file's committed data at dest (the refresh computes on it), without waiting for writers."""
    _copy_current(Path(cfg.path), Path(dest), wait_seconds)


# ------------------------------------------------------------------------------------------ the file's versions

@contextmanager
def _file_writing(path: Path, wait_seconds: float):
    """The one writer of the file: a private copy to change, renamed over the file at the end if anything changed.

    Readers keep reading the version in place meanwhile. An error in the block (or the process's death) leaves the
    file as it was and the copy is removed (by the next writer, after a death). A block that changed nothing
    publishes nothing, so the pages' caches stay valid. Disk: the file's size again while a writer works.
    """
    with db.write_lock(path, wait_seconds):
        db.sweep_side_files(path, writer=True)
        if path.exists() and (_held(path, wait_seconds) == "here" or Path(f"{path}.wal").exists()):
            # A db.connect writer of this process is at work, or one left its log: change the file in place, as
            # before (DuckDB shares the open database within the process).
            con = db.connect(path, wait_seconds=wait_seconds)
            try:
                yield con
            finally:
                con.close()
            return
        copy = db.side_file(path, "next")
        try:
            before = _copy(path, copy) if path.exists() else None
            con = db.connect(copy)          # migrates the copy when the code is newer
            try:
                yield con
                con.execute("CHECKPOINT")   # the log folded in: the published file is whole by itself
            finally:
                con.close()
            if before is not None and os.stat(copy).st_mtime_ns == _UNTOUCHED:
                return                      # nothing changed: nothing to publish
            if (_identity(path) if path.exists() else None) != before or Path(f"{path}.wal").exists():
                raise db.DatabaseBusy(f"another program wrote to {path} directly during this change, so it was not "
                                      "saved; try again")
            _publish(copy, path)
        finally:
            for p in (copy, Path(f"{copy}.wal")):
                p.unlink(missing_ok=True)


@contextmanager
def _file_scratch(path: Path, wait_seconds: float):
    """A throw-away copy of the file's committed data for a preview: no lock taken, nobody waits for it."""
    if not path.exists():
        with _file_writing(path, wait_seconds):
            pass
    scratch = db.side_file(path, "preview")
    try:
        _copy_current(path, scratch, wait_seconds)
        con = db.connect(scratch)
        try:
            yield con
        finally:
            con.close()
    finally:
        db.sweep_side_files(path)
        for p in (scratch, Path(f"{scratch}.wal")):
            p.unlink(missing_ok=True)


_UNTOUCHED = 0        # a writer's copy starts with this modification time: any write by DuckDB moves it


def _identity(path: Path) -> tuple:
    s = os.stat(path)
    return s.st_ino, s.st_mtime_ns, s.st_size


def _copy(src: Path, dest: Path) -> tuple:
    """Copy the file's version in place to dest, marked untouched; returns the identity of the version copied."""
    with open(src, "rb") as fin, open(dest, "wb") as fout:
        s = os.fstat(fin.fileno())
        left = s.st_size
        try:
            while left > 0:
                n = os.copy_file_range(fin.fileno(), fout.fileno(), left)
                if n == 0:
                    break
                left -= n
        except OSError:                  # no in-kernel copy between these files: copy through memory
            fin.seek(s.st_size - left)
            fout.seek(s.st_size - left)
            shutil.copyfileobj(fin, fout, 1 << 20)
    shutil.copymode(src, dest)
    os.utime(dest, ns=(_UNTOUCHED, _UNTOUCHED))
    return s.st_ino, s.st_mtime_ns, s.st_size


def _copy_current(path: Path, dest: Path, wait_seconds: float) -> None:
    """A copy of the committed data at dest: the bytes of the version in place, or (a db.connect writer at work)
    DuckDB's own copy through that writer's database."""
    if not Path(f"{path}.wal").exists():
        _copy(path, dest)
        return
    con = db.connect(path, wait_seconds=wait_seconds)
    try:
        name = con.execute("SELECT current_database()").fetchall()[0][0]
        con.execute("ATTACH '" + str(dest).replace("'", "''") + "' AS huddle_copy")
        try:
            con.execute(f'COPY FROM DATABASE "{name}" TO huddle_copy')
        finally:
            con.execute("DETACH huddle_copy")
    finally:
        con.close()


def _held(path: Path, wait_seconds: float) -> str | None:
    """'here' when this process has the file open through db.connect; waits while another process has it so."""
    deadline = time.monotonic() + wait_seconds
    while True:
        who = db.holder(path)
        if who != "elsewhere":
            return who
        if time.monotonic() >= deadline:
            raise db.DatabaseBusy(f"the database {path} is in use by another process; try again when it is free")
        time.sleep(0.2)


def _publish(copy: Path, path: Path) -> None:
    """Rename the finished copy over the file, durably: readers that open the file from now on read it."""
    durable = settings.fsync()
    if durable:
        _sync(copy)
    os.replace(copy, path)
    if durable:
        _sync(path.parent)


def _sync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
