"""The default-view refresh off the uploads' path: one worker per process, several uploads coalesced into one refresh.

An upload commits and returns; `request(cfg)` wakes this process's worker thread (the app), `spawn(cfg)` starts a
detached process (the command line). The refresh (analytics.refresh) computes from a frozen copy of the committed
data, a snapshot of the lake or a copy of the file's current version (taken without any lock), so neither uploads
nor readers wait on it; it saves its results in one short write, and only if no upload came meanwhile (else it
starts again on the newer data). A cross-process lock (a file lock beside the database; an advisory lock on the lake) lets one
refresh run at a time, and one that waited finds the work done. Each run leaves a row in `refresh_runs`, read by
the Data page (refresh_status): a failed refresh is reported there and never touches the upload.
`python -m analytics.refresh_worker [--store ...] [--db ...]` refreshes until the view is current.
"""

from __future__ import annotations

import argparse
import atexit
import fcntl
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import psycopg

from analytics import db, settings, stores
from analytics.refresh import refresh
from analytics.results import TABLE

RUNS = "refresh_runs"
MAX_ROUNDS = 10                    # uploads arriving faster than refreshes: stop and let the next request go on
STALE_RUNNING = timedelta(hours=1)  # a 'running' row this old belongs to a refresh that died


# ------------------------------------------------------------------------------------------ status

def refresh_status(con) -> dict:
    """Whether the precomputed default view matches the data: current | refreshing | pending | failed."""
    version = db.data_version(con)
    active = con.execute("SELECT count(*) FROM uploads WHERE status = 'active'").fetchall()[0][0]
    rows = con.execute(f"SELECT data_version, state, started_at, finished_at, detail FROM {RUNS} "
                       "ORDER BY started_at DESC LIMIT 20").fetchall()
    last = rows[0] if rows else None
    mine = next((r for r in rows if r[0] == version and r[1] in ("done", "failed")), None)
    done = next((r for r in rows if r[1] == "done"), None)
    out = {"data_version": version, "refreshed_version": done[0] if done else None,
           "started_at": last[2] if last else None, "finished_at": mine[3] if mine else None, "detail": ""}
    if active == 0:
        return {**out, "state": "current"}
    if mine is not None:
        return {**out, "state": "current" if mine[1] == "done" else "failed", "detail": mine[4] or ""}
    if _stored(con, version):               # refreshed by other means (the demo build, python -m analytics.refresh)
        return {**out, "state": "current", "refreshed_version": version}
    if last is not None and last[1] == "running" and _now() - last[2] < STALE_RUNNING:
        return {**out, "state": "refreshing"}
    return {**out, "state": "pending"}


def _stored(con, version: int) -> bool:
    return con.execute(f"SELECT count(*) FROM {TABLE} WHERE data_version = $v", {"v": version}).fetchall()[0][0] > 0


def _is_current(con, version: int) -> bool:
    if con.execute("SELECT count(*) FROM uploads WHERE status = 'active'").fetchall()[0][0] == 0:
        return True
    if _stored(con, version):
        return True
    return con.execute(f"SELECT count(*) FROM {RUNS} WHERE data_version = $v AND state IN ('done', 'failed')",
                       {"v": version}).fetchall()[0][0] > 0


def _record(con, version: int, state: str, started: datetime, detail: str = "") -> None:
    con.execute(f"INSERT INTO {RUNS} VALUES ($v, $s, $t0, $t1, $d, $h)",
                {"v": version, "s": state, "t0": started, "t1": None if state == "running" else _now(),
                 "d": detail, "h": os.uname().nodename})


def _mark_running(con, version: int, started: datetime) -> None:
    with db.atomic(con):
        _record(con, version, "running", started)
        db.commit_message(con, "huddle", f"refresh of data version {version} started")


def _save(con, version: int, rows, timings: dict, started: datetime) -> bool:
    """Replace the stored results by rows (of `version`) unless newer data came meanwhile; one transaction."""
    failed = {k: v for k, v in timings.items() if isinstance(v, str)}
    with db.atomic(con):
        if db.data_version(con) != version:
            return False
        con.execute(f"DELETE FROM {TABLE}")
        con.register("huddle_refreshed", rows)
        try:
            con.execute(f"INSERT INTO {TABLE} SELECT * FROM huddle_refreshed")
        finally:
            con.unregister("huddle_refreshed")
        _record(con, version, "failed" if failed else "done", started,
                json.dumps(failed or timings, default=str))
        db.commit_message(con, "huddle", f"refresh of data version {version}", {"steps": list(timings)})
    return True


# ------------------------------------------------------------------------------------------ one refresh

@contextmanager
def refresh_lock(cfg: stores.StoreConfig):
    """One refresh of a store at a time, across processes and hosts; waits for the one running."""
    if cfg.is_lake:
        digest = hashlib.sha256(f"huddle refresh {cfg.data_path}".encode()).digest()
        key = int.from_bytes(digest[:8], "big", signed=True)
        with psycopg.connect(cfg.conninfo, autocommit=True, application_name="huddle refresh") as pg:
            pg.execute("SELECT pg_advisory_lock(%s)", (key,))
            try:
                yield
            finally:
                if not pg.closed:
                    pg.execute("SELECT pg_advisory_unlock(%s)", (key,))
        return
    path = Path(str(cfg.path) + ".refresh.lock")
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)      # released when the file closes, or the process dies
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _compute(cfg: stores.StoreConfig, today: date | None, started: datetime):
    """(version, results rows, timings) from a frozen copy of the committed data; None when already current."""
    with stores.reading(cfg) as con:
        version = db.data_version(con)
        if _is_current(con, version):
            return None
    stores.write(cfg, _mark_running, version, started)
    if cfg.is_lake:
        with stores.open_lake(cfg).reading() as (cur, _snapshot):
            version = db.data_version(cur)   # the snapshot read: results belong to it
            timings = refresh(cur, today)    # its writes stay in this transaction, rolled back afterwards
            rows = cur.execute(f"SELECT * FROM {TABLE} WHERE data_version = $v", {"v": version}).df()
        return version, rows, timings
    with tempfile.TemporaryDirectory(prefix="huddle-refresh-") as folder:
        copy = Path(folder) / "snapshot.duckdb"
        stores.snapshot(cfg, copy)           # the file's committed version, copied without holding anything
        snap = db.connect(copy)
        try:
            version = db.data_version(snap)  # the copy's: results belong to it
            timings = refresh(snap, today)
            rows = snap.execute(f"SELECT * FROM {TABLE} WHERE data_version = $v", {"v": version}).df()
        finally:
            snap.close()
    return version, rows, timings


def run_once(cfg: stores.StoreConfig, today: date | None = None) -> str:
    """One round: 'current' (nothing to do), 'saved', 'superseded' (an upload came meanwhile) or 'failed'."""
    started = _now()
    version = None
    try:
        got = _compute(cfg, today, started)
        if got is None:
            return "current"
        version, rows, timings = got
        return "saved" if stores.write(cfg, _save, version, rows, timings, started) else "superseded"
    except Exception as exc:                 # the upload is committed; the pages compute on demand meanwhile
        detail = f"{type(exc).__name__}: {str(exc).splitlines()[0][:500] if str(exc) else ''}"
        try:
            if version is None:
                with stores.reading(cfg) as con:
                    version = db.data_version(con)
            stores.write(cfg, lambda con: _atomic_record(con, version, started, detail), wait_seconds=10)
        except Exception:
            pass                             # the store itself is out of reach: the page shows 'pending'
        return "failed"


def _atomic_record(con, version, started, detail) -> None:
    with db.atomic(con):
        _record(con, version, "failed", started, json.dumps({"refresh": f"failed: {detail}"}))


def run_until_current(cfg: stores.StoreConfig, today: date | None = None) -> list[str]:
    """Refresh (under the refresh lock) until the stored view matches the data; the rounds' outcomes."""
    outcomes: list[str] = []
    with refresh_lock(cfg):
        for _ in range(MAX_ROUNDS):
            outcomes.append(run_once(cfg, today))
            if outcomes[-1] in ("current", "failed"):
                break
    return outcomes


# ------------------------------------------------------------------------------------------ the worker

class Worker:
    """One background thread per process; requests made while it runs are served by one more round."""

    def __init__(self):
        self._cv = threading.Condition()
        self._pending: dict[stores.StoreConfig, date | None] = {}
        self._thread: threading.Thread | None = None
        self.outcomes: dict[stores.StoreConfig, list[str]] = {}

    def request(self, cfg: stores.StoreConfig, today: date | None = None) -> None:
        """Refresh cfg's default view soon, in the background; returns at once."""
        with self._cv:
            self._pending[cfg] = today
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="huddle-refresh", daemon=True)
                self._thread.start()

    def _loop(self) -> None:
        while True:
            with self._cv:
                if not self._pending:
                    self._thread = None
                    self._cv.notify_all()
                    return
                cfg, today = self._pending.popitem()
            try:
                self.outcomes[cfg] = run_until_current(cfg, today)
            except Exception as exc:         # e.g. the lock's database is gone: keep serving other requests
                self.outcomes[cfg] = [f"failed: {exc}"]

    @property
    def busy(self) -> bool:
        with self._cv:
            return self._thread is not None

    def wait(self, timeout: float | None = None) -> bool:
        """Block until no refresh is running or pending in this process (tests, shutdown)."""
        with self._cv:
            return self._cv.wait_for(lambda: self._thread is None, timeout)


WORKER = Worker()
# At exit, let a running refresh finish (briefly): DuckDB aborts the process if a thread is still inside a query.
atexit.register(WORKER.wait, 30)


def request(cfg: stores.StoreConfig, today: date | None = None) -> None:
    """After a commit in this process: refresh in the background thread."""
    WORKER.request(cfg, today)


def after_commit(cfg: stores.StoreConfig) -> None:
    """After the dashboard's upload, undo or link: refresh in the background, unless $HUDDLE_REFRESH is `skip` (the
    refresh is left to `python -m analytics.refresh_worker`, e.g. on a timer; pages compute on demand meanwhile)."""
    if settings.refresh_mode().strip().lower() != "skip":
        request(cfg)


def spawn(cfg: stores.StoreConfig) -> subprocess.Popen:
    """After a commit from the command line: refresh in a detached process that outlives the command."""
    env = {**os.environ, settings.STORE_ENV: cfg.spec(),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(db.ROOT), os.environ.get("PYTHONPATH")]))}
    if cfg.is_lake:
        env[settings.DATA_PATH_ENV] = cfg.data_path
    else:
        env[settings.DB_ENV] = str(Path(cfg.path).resolve())
    return subprocess.Popen([sys.executable, "-m", "analytics.refresh_worker"], env=env, cwd=db.ROOT,
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)


def main(argv: list[str] | None = None) -> int:
    """python -m analytics.refresh_worker: refresh the store's default view until it is current."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--store", help="ducklake:postgres:<connection string> (default: $HUDDLE_STORE)")
    parser.add_argument("--db", help="database file (default: $HUDDLE_DB or data/huddle.duckdb)")
    parser.add_argument("--data-path", help="the shared store's data folder (default: $HUDDLE_DATA_PATH)")
    a = parser.parse_args(argv)
    started = time.perf_counter()
    outcomes = run_until_current(stores.resolve(a.store, a.db, a.data_path))
    print(f"refresh: {', '.join(outcomes)} ({time.perf_counter() - started:.1f} s)")
    return 1 if "failed" in outcomes else 0


if __name__ == "__main__":
    sys.exit(main())
