"""Shared fixtures: fresh databases, file writers and the demo world (built once per test session)."""

from __future__ import annotations

import fcntl
import hashlib
import os
import pickle
import shutil
from pathlib import Path

import pytest
from streamlit.runtime.media_file_storage import MediaFileStorageError
from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
from streamlit.testing.v1 import app_test as app_test_module

from analytics import db, settings
from pg import pg_cluster, pg_database, shared_store  # noqa: F401  (fixtures: a throw-away PostgreSQL)

# Command-line uploads in tests leave the default-view refresh out unless a test asks for it (--refresh).
os.environ.setdefault(settings.REFRESH_ENV, "skip")
# Test databases are thrown away: a published file version is not synced to disk (as the test PostgreSQL runs).
os.environ.setdefault(settings.FSYNC_ENV, "off")

ROOT = Path(__file__).resolve().parent.parent
MAVEN = ROOT.parent / "shared" / "data" / "maven_crm"

TABLES = ("uploads", "rejected_rows", "opportunity_versions", "quiz_attempt_versions", "feedback_versions",
          "message_versions", "rep_versions", "reps", "rep_aliases", "messages", "message_aliases",
          "opportunities", "quiz_attempts", "feedback", "data_version", "activity_versions", "activities",
          "activity_turns")


@pytest.fixture
def fresh_db(tmp_path):
    """A new, migrated database file."""
    con = db.connect(tmp_path / "huddle.duckdb")
    yield con
    con.close()


@pytest.fixture
def write(tmp_path):
    """Write a test file: write('name.csv', text, encoding=...) -> Path."""
    def _write(name: str, text: str | bytes, encoding: str = "utf-8") -> Path:
        p = tmp_path / name
        p.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
        return p
    return _write


def snapshot(con) -> dict:
    """A fingerprint of every table's content, to prove that nothing changed."""
    out = {}
    for t in TABLES:
        rows = con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
        out[t] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return out


def built_once(root: Path, build) -> dict:
    """build(root) -> a picklable summary, run once for root: a process that finds it finished, or waits under the
    same lock for another one building it, reuses it."""
    root.mkdir(parents=True, exist_ok=True)
    done = root / "summary.pickle"
    with open(root / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)          # released when the file closes, also if this process dies
        if not done.exists():
            partial = done.with_suffix(".partial")
            partial.write_bytes(pickle.dumps(build(root)))
            os.replace(partial, done)
    return pickle.loads(done.read_bytes())


def shared_build(tmp_path_factory, name: str, build, database: str) -> tuple[dict, Path]:
    """A world built once per test run: pytest-xdist's workers share one build (under the run's temp folder), and
    each gets its own copy of its database file; (summary, that copy)."""
    mine = tmp_path_factory.mktemp(name)
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return built_once(mine, build), mine / database
    root = tmp_path_factory.getbasetemp().parent / name          # the same folder for every worker of this run
    summary = built_once(root, build)
    shutil.copy(root / database, mine / database)
    return summary, mine / database


@pytest.fixture(scope="session")
def demo_world(tmp_path_factory):
    """The demo company's exports and database, generated and ingested through the real parsers once per test run
    (shared_build; the exports folder is shared: read it only)."""
    from analytics.demo_load import build_demo
    summary, db_path = shared_build(tmp_path_factory, "demo",
                                    lambda root: build_demo(root / "csv", root / "demo.duckdb"), "demo.duckdb")
    return {"dir": Path(summary["out_dir"]), "db": db_path, "truth": summary["truth"], "summary": summary}


@pytest.fixture(scope="session")
def hostile(tmp_path_factory):
    """The demo company with hostile markup in every free-text field, uploaded and refreshed once (hostile_world;
    shared_build)."""
    from hostile_world import hostile_world
    world, db_path = shared_build(tmp_path_factory, "hostile", hostile_world, "hostile.duckdb")
    return {**world, "db": db_path}


@pytest.fixture
def demo_con(demo_world):
    """A read-only connection to the session's demo database."""
    con = db.connect(demo_world["db"], read_only=True)
    yield con
    con.close()


# ------------------------------------------------------------------ page tests (AppTest)

@pytest.fixture
def demo_copy(demo_world, tmp_path, monkeypatch):
    """A private copy of the demo database, pointed to by HUDDLE_DB."""
    target = tmp_path / "demo.duckdb"
    shutil.copy(demo_world["db"], target)
    monkeypatch.setenv("HUDDLE_DB", str(target))
    return target


@pytest.fixture(scope="module")
def shared_demo(demo_world, tmp_path_factory):
    """One private demo copy per test module for pages that only read it: cached results carry across tests."""
    target = tmp_path_factory.mktemp("shared_demo") / "demo.duckdb"
    shutil.copy(demo_world["db"], target)
    return target


@pytest.fixture
def demo_app(shared_demo, monkeypatch):
    """HUDDLE_DB pointed at the module's shared demo copy (tests using it must not write)."""
    monkeypatch.setenv("HUDDLE_DB", str(shared_demo))
    return shared_demo


@pytest.fixture
def empty_db(tmp_path, monkeypatch):
    """A database with no data, pointed to by HUDDLE_DB."""
    target = tmp_path / "empty.duckdb"
    monkeypatch.setenv("HUDDLE_DB", str(target))
    return target


@pytest.fixture
def downloads(monkeypatch):
    """read(button) -> the text a download button serves (AppTest's in-memory media files, kept after the run)."""
    stores: list[MemoryMediaFileStorage] = []

    class KeptStorage(MemoryMediaFileStorage):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            stores.append(self)

    monkeypatch.setattr(app_test_module, "MemoryMediaFileStorage", KeptStorage)

    def read(button) -> str:
        name = button.proto.url.rsplit("/", 1)[-1]
        for store in reversed(stores):
            try:
                return store.get_file(name).content.decode("utf-8")
            except MediaFileStorageError:
                continue
        raise LookupError(f"no media file behind {button.proto.url!r}")
    return read
