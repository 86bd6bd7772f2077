"""The shared store: DuckLake on a real PostgreSQL (a throw-away cluster), Parquet files in a temp folder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from analytics import db, lake, lake_write
from analytics.ingest.load import ingest_file, list_uploads, undo
from analytics.store_config import StoreConfigError, redact, resolve
from conftest import ROOT, TABLES

# DuckLake's extensions exist for duckdb 1.5.5 only: `make test` runs these in .venv-lake (see Makefile).
pytestmark = pytest.mark.lake

V1 = ("opportunity_id,sales_agent,deal_stage,close_date,close_value\n"
      "A,Ann Lee,Engaging,,\nB,Ann Lee,Won,2026-01-05,100\nC,Bo Ek,Lost,2026-01-06,0\n")
V2 = ("opportunity_id,sales_agent,deal_stage,close_date,close_value\n"
      "A,Ann Lee,Won,2026-02-01,250\nB,Ann Lee,Won,2026-01-05,100\nD,Bo Ek,Engaging,,\n")
# The five keys the local file's schema declares; on DuckLake the locked writer alone keeps them unique.
KEYS = {"uploads": "upload_id", "reps": "rep_id", "rep_aliases": "alias_key", "messages": "message_id",
        "message_aliases": "alias_key"}


def big_crm(n: int, tag: str) -> str:
    """A CRM export of n deals (enough rows to be written as Parquet files rather than inlined)."""
    rows = [f"{tag}{i},Rep {i % 17},{'Won' if i % 3 else 'Lost'},2026-01-{1 + i % 28:02d},{i}" for i in range(n)]
    return "opportunity_id,sales_agent,deal_stage,close_date,close_value\n" + "\n".join(rows) + "\n"


def fingerprint(cur) -> dict:
    return {t: cur.execute(f"SELECT count(*), coalesce(sum(hash(COLUMNS(*))), 0) FROM {t}").fetchall()
            for t in TABLES}


def data_files(folder: Path) -> set[Path]:
    return {p for p in folder.rglob("*.parquet")}


def assert_keys_unique(cur) -> None:
    for table, key in KEYS.items():
        n, distinct = cur.execute(f"SELECT count(*), count(DISTINCT {key}) FROM {table}").fetchone()
        assert n == distinct, f"{table}.{key} repeats"


def test_the_store_is_the_local_file_unless_a_ducklake_is_named(tmp_path, monkeypatch):
    monkeypatch.delenv("HUDDLE_STORE", raising=False)
    monkeypatch.setenv("HUDDLE_DB", str(tmp_path / "x.duckdb"))
    assert resolve() == resolve(None, None)
    assert resolve().kind == "file" and resolve().path == tmp_path / "x.duckdb"
    assert resolve(db_path=tmp_path / "y.duckdb").path == tmp_path / "y.duckdb"
    monkeypatch.setenv("HUDDLE_STORE", "ducklake:postgres:host=db dbname=huddle password=s3cret")
    with pytest.raises(StoreConfigError, match="HUDDLE_DATA_PATH"):
        resolve()
    monkeypatch.setenv("HUDDLE_DATA_PATH", str(tmp_path / "files"))
    cfg = resolve()
    assert (cfg.kind, cfg.conninfo) == ("ducklake", "host=db dbname=huddle password=s3cret")
    assert cfg.data_path == str(tmp_path / "files") + "/"
    assert "s3cret" not in cfg.describe() and "password=***" in cfg.describe()
    assert resolve("").kind == "file"                       # --store "" overrides the environment
    with pytest.raises(StoreConfigError, match="unknown store"):
        resolve("sqlite:huddle.db")
    assert redact("postgresql://huddle:pw@db/huddle") == "postgresql://huddle:***@db/huddle"


def test_every_schema_file_becomes_ducklake_ddl_without_keys():
    for _, path in db.migrations():
        text = path.read_text(encoding="utf-8")
        ddl = lake.lake_ddl(text)
        assert "PRIMARY KEY" not in ddl.upper() and "UNIQUE" not in ddl.upper()
        assert ddl.count("CREATE TABLE") == text.count("CREATE TABLE")
    with pytest.raises(lake.LakeError, match="CHECK"):
        lake.lake_ddl("CREATE TABLE t (a INTEGER CHECK (a > 0));")
    with pytest.raises(lake.LakeError, match="SEQUENCE"):
        lake.lake_ddl("CREATE SEQUENCE ids;")
    assert "'x -- not a comment'" in lake.lake_ddl("CREATE TABLE t (a VARCHAR DEFAULT 'x -- not a comment');")


def test_the_extensions_install_from_their_packages_with_downloads_off(tmp_path):
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False,
                                 "extension_directory": str(tmp_path / "ext")})
    lake.load_extensions(con)
    rows = dict(con.execute("SELECT extension_name, install_path FROM duckdb_extensions() "
                            "WHERE extension_name IN ('ducklake', 'postgres_scanner') AND loaded").fetchall())
    assert set(rows) == {"ducklake", "postgres_scanner"}
    assert all(p.startswith(str(tmp_path / "ext")) for p in rows.values())
    assert lake.extension_directory().is_relative_to(sys.prefix)


def test_an_upload_to_the_shared_store_is_read_back_with_its_author_in_the_history(shared_store, write):
    r = lake_write.write(shared_store, ingest_file, "crm", write("v1.csv", V1), uploaded_by="ann@example.com")
    with shared_store.reading() as (cur, _):
        got = dict(cur.execute("SELECT opportunity_id, outcome FROM opportunities").fetchall())
        assert got == {"generic:A": "open", "generic:B": "won", "generic:C": "lost"}
        author, message = cur.execute("SELECT author, commit_message FROM lake.snapshots() "
                                      "ORDER BY snapshot_id DESC LIMIT 1").fetchone()
    assert (r.upload_id, author, message) == (1, "ann@example.com", "upload 1: crm v1.csv")


def test_undo_on_the_shared_store_restores_the_previous_state(shared_store, write):
    cur = shared_store.cursor()
    lake_write.write(shared_store, ingest_file, "crm", write("v1.csv", V1))
    after_v1 = cur.execute("SELECT * EXCLUDE (upload_id) FROM opportunities ORDER BY ALL").fetchall()
    r2 = lake_write.write(shared_store, ingest_file, "crm", write("v2.csv", V2))
    assert cur.execute("SELECT count(*) FROM opportunities").fetchone()[0] == 4
    out = lake_write.write(shared_store, undo, r2.upload_id)
    assert out["versions_removed"] == 2
    assert cur.execute("SELECT * EXCLUDE (upload_id) FROM opportunities ORDER BY ALL").fetchall() == after_v1
    assert list_uploads(cur).set_index("upload_id").loc[r2.upload_id, "status"] == "undone"


def test_reuploading_the_same_export_to_the_shared_store_changes_nothing(shared_store, write):
    path = write("v1.csv", V1)
    lake_write.write(shared_store, ingest_file, "crm", path)
    cur = shared_store.cursor()
    before = {t: v for t, v in fingerprint(cur).items() if t not in ("uploads", "data_version")}
    r = lake_write.write(shared_store, ingest_file, "crm", path)
    assert (r.rows_inserted, r.rows_updated, r.rows_unchanged) == (0, 0, 3)
    assert {t: v for t, v in fingerprint(cur).items() if t not in ("uploads", "data_version")} == before


def test_a_reader_keeps_its_snapshot_while_a_writer_commits(shared_store, write):
    lake_write.write(shared_store, ingest_file, "crm", write("v1.csv", V1))
    with shared_store.reading() as (cur, snap):
        before = cur.execute("SELECT count(*) FROM opportunities").fetchone()[0]
        lake_write.write(shared_store, ingest_file, "crm", write("v2.csv", V2))
        assert cur.execute("SELECT count(*) FROM opportunities").fetchone()[0] == before == 3
        assert shared_store.snapshot_id(cur) == snap
    assert shared_store.snapshot_id() > snap
    assert shared_store.cursor().execute("SELECT count(*) FROM opportunities").fetchone()[0] == 4


def test_tiny_uploads_go_to_data_files_not_catalog_rows_and_the_cache_key_is_the_next_readers_snapshot(
        shared_store, write):
    import psycopg
    lake_write.write(shared_store, ingest_file, "crm", write("v1.csv", V1))     # 3 deals, 1 upload row
    with psycopg.connect(shared_store.cfg.conninfo) as pg:
        inlined = pg.execute("SELECT count(*) FROM ducklake_inlined_data_tables").fetchone()[0]
    assert inlined == 0, "rows were inlined in the catalog: every scan of those tables queries it again"
    latest = shared_store.latest_snapshot_id()
    with shared_store.reading() as (cur, snap):
        assert snap == latest
        assert cur.execute("SELECT count(*) FROM uploads").fetchone()[0] == 1
    lake_write.write(shared_store, ingest_file, "crm", write("v2.csv", V2))
    assert shared_store.latest_snapshot_id() > latest


def test_a_failed_commit_rolls_back_cleanly_and_is_retried(shared_store, write):
    lake_write.write(shared_store, ingest_file, "crm", write("v1.csv", V1))
    attempts = []

    def conflicting_change(cur):
        """Deletes a row while a writer outside the lock deletes the same row first (only on the first try)."""
        with db.atomic(cur):
            cur.execute("DELETE FROM opportunities WHERE opportunity_id = 'generic:A'")
            if not attempts:
                other = shared_store.cursor()
                other.execute("DELETE FROM opportunities WHERE opportunity_id = 'generic:A'")
                other.close()
            attempts.append(len(attempts))
        return "done"

    assert lake_write.write(shared_store, conflicting_change) == "done"
    assert attempts == [0, 1]
    cur = shared_store.cursor()
    assert cur.execute("SELECT count(*) FROM opportunities").fetchone()[0] == 2
    attempts.clear()
    cur.execute("INSERT INTO opportunities (opportunity_id) VALUES ('generic:A')")
    with pytest.raises(lake_write.CommitFailed, match="could not be saved"):
        lake_write.write(shared_store, conflicting_change, retries=0)
    assert cur.execute("SELECT count(*) FROM opportunities").fetchone()[0] == 2   # the other writer's delete won


def test_a_second_writer_waits_for_the_lock_and_gives_up_with_a_clear_message(shared_store):
    held, release = threading.Event(), threading.Event()

    def hold():
        with lake_write.writer_lock(shared_store):
            held.set()
            release.wait(30)

    t = threading.Thread(target=hold)
    t.start()
    try:
        assert held.wait(10)
        started = time.monotonic()
        with pytest.raises(lake_write.WriterBusy, match="another upload or maintenance"):
            with lake_write.writer_lock(shared_store, wait_seconds=0.5):
                pass
        assert 0.4 < time.monotonic() - started < 5
    finally:
        release.set()
        t.join()
    with lake_write.writer_lock(shared_store, wait_seconds=0):
        pass


WRITER = """
import sys
from analytics import lake, lake_write
from analytics.ingest.load import ingest_file
from analytics.store_config import resolve
store = lake.get(resolve())
for path in sys.argv[1:]:
    lake_write.write(store, ingest_file, "crm", path)
"""


def _env(store: lake.Lake) -> dict:
    return {**os.environ, "HUDDLE_STORE": f"ducklake:postgres:{store.cfg.conninfo}",
            "HUDDLE_DATA_PATH": store.cfg.data_path, "PYTHONPATH": str(ROOT)}


def test_how_long_a_writer_waits_for_another_is_set_by_the_environment_or_the_call(monkeypatch):
    monkeypatch.delenv("HUDDLE_WRITE_WAIT_SECONDS", raising=False)
    assert lake_write.wait_seconds_or_default(None) == lake_write.WAIT_SECONDS == 30.0
    monkeypatch.setenv("HUDDLE_WRITE_WAIT_SECONDS", "600")
    assert (lake_write.wait_seconds_or_default(None), lake_write.wait_seconds_or_default(2.0)) == (600.0, 2.0)
    monkeypatch.setenv("HUDDLE_WRITE_WAIT_SECONDS", "soon")
    with pytest.raises(StoreConfigError, match="HUDDLE_WRITE_WAIT_SECONDS"):
        lake_write.wait_seconds_or_default(None)


def test_two_concurrent_writers_never_repeat_an_id(shared_store, write):
    files = [[str(write(f"{w}{i}.csv", big_crm(30, f"{w}{i}-"))) for i in range(4)] for w in "pq"]
    # First new data (uploads that rewrite the current tables), then both re-send everything unchanged
    # (uploads that only append a history row: without the lock these commit side by side with one id).
    for batches, n_uploads in ((files, 8), ([files[0] + files[1], files[1] + files[0]], 24)):
        procs = [subprocess.Popen([sys.executable, "-c", WRITER, *paths], env=_env(shared_store), cwd=ROOT,
                                  stderr=subprocess.PIPE, text=True) for paths in batches]
        for p in procs:
            assert p.wait(timeout=240) == 0, p.stderr.read()
        cur = shared_store.cursor()
        assert_keys_unique(cur)
        assert cur.execute("SELECT count(*), max(upload_id) FROM uploads").fetchone() == (n_uploads, n_uploads)
        assert cur.execute("SELECT count(*) FROM opportunities").fetchone()[0] == 8 * 30


KILLED = """
import sys, time
from analytics import lake, lake_write
from analytics.ingest import load
from analytics.store_config import resolve

def stall(*args, **kwargs):      # the upload's versions are written; stop before it commits
    open(sys.argv[2], "w").close()
    time.sleep(120)
load.rebuild = stall
lake_write.write(lake.get(resolve()), load.ingest_file, "crm", sys.argv[1])
"""


def test_a_writer_killed_mid_upload_leaves_the_previous_snapshot_and_only_orphaned_files(shared_store, write,
                                                                                          tmp_path):
    lake_write.write(shared_store, ingest_file, "crm", write("v1.csv", big_crm(300, "a")))
    cur = shared_store.cursor()
    snap, before, files_before = shared_store.snapshot_id(), fingerprint(cur), data_files(tmp_path / "lake")
    marker = tmp_path / "stalled"
    p = subprocess.Popen([sys.executable, "-c", KILLED, str(write("v2.csv", big_crm(3000, "b"))), str(marker)],
                         env=_env(shared_store), cwd=ROOT)
    deadline = time.monotonic() + 120
    while not marker.exists():
        assert p.poll() is None and time.monotonic() < deadline, "the writer ended before reaching the stall"
        time.sleep(0.1)
    os.kill(p.pid, signal.SIGKILL)
    p.wait(timeout=30)
    assert shared_store.snapshot_id() == snap
    assert fingerprint(shared_store.cursor()) == before
    orphans = data_files(tmp_path / "lake") - files_before
    assert orphans, "the killed upload wrote no data files (test too small to prove anything)"
    r = lake_write.write(shared_store, ingest_file, "crm", write("v3.csv", V1), wait_seconds=10)  # lock is free
    assert r.upload_id == 2
    out = lake_write.maintain(shared_store, orphan_hours=0)
    assert out["orphaned_files_deleted"] >= len(orphans)
    assert not orphans & data_files(tmp_path / "lake")
    assert shared_store.cursor().execute("SELECT count(*) FROM opportunities").fetchone()[0] == 303


def test_maintenance_merges_files_and_expires_old_snapshots_without_changing_the_data(shared_store, write):
    for i in range(3):
        lake_write.write(shared_store, ingest_file, "crm", write(f"x{i}.csv", big_crm(200, f"m{i}-")))
    cur = shared_store.cursor()
    before = fingerprint(cur)
    n_snapshots = cur.execute("SELECT count(*) FROM lake.snapshots()").fetchone()[0]
    out = lake_write.maintain(shared_store, expire_days=0, orphan_hours=0)
    assert out["files_merged"] > 0 and out["snapshots_expired"] > 0
    cur = shared_store.cursor()
    assert cur.execute("SELECT count(*) FROM lake.snapshots()").fetchone()[0] < n_snapshots
    assert fingerprint(cur) == before


def test_the_maintain_command_reports_what_it_did_on_either_store(shared_store, tmp_path):
    env = _env(shared_store)
    out = subprocess.run([sys.executable, "-m", "analytics", "maintain", "--json"], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert '"snapshots_expired"' in out.stdout and "password" not in out.stdout
    env.pop("HUDDLE_STORE")
    out = subprocess.run([sys.executable, "-m", "analytics", "maintain", "--json", "--db",
                          str(tmp_path / "f.duckdb")], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and '"checkpoint": true' in out.stdout, out.stderr
