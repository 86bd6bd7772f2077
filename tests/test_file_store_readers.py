"""The local file never makes a reader wait for a writer: readers read the version in place while a writer changes
a private copy, and see the new version once it is renamed over the file; a killed writer leaves the old one."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest
from conftest import ROOT

from analytics import db, settings, stores
from analytics.ingest.load import ingest_file

ROSTER = "Name,Email,Team\n" + "".join(f"Rep {i},rep{i}@acme.com,T{i % 3}\n" for i in range(10))
COUNT = "SELECT (SELECT count(*) FROM opportunities), (SELECT count(*) FROM uploads WHERE status = 'active')"

# A writer process that stops inside its transaction, after its upload, until told to go on (or killed).
HELD_WRITER = """
import sys
from analytics import db, settings, stores
from analytics.ingest.load import ingest_file

def upload_and_wait(con, path):
    with db.atomic(con):
        ingest_file(con, "crm", path)
        print("held", flush=True)
        sys.stdin.readline()

stores.write(stores.resolve("", sys.argv[1]), upload_and_wait, sys.argv[2], wait_seconds=120)
print("done", flush=True)
"""
# A reader process: what a page reads, with the dashboard's wait; prints the counts and the seconds it took.
READER = """
import json, sys, time
from analytics import stores
started = time.monotonic()
with stores.reading(stores.resolve("", sys.argv[1]), wait_seconds=float(sys.argv[2])) as con:
    counts = con.execute(sys.argv[3]).fetchone()
print(json.dumps({"counts": list(counts), "seconds": time.monotonic() - started}))
"""


def deals(prefix: str, n: int) -> str:
    return "Opportunity ID,Opportunity Owner,Stage,Close Date,Amount\n" + "".join(
        f"{prefix}{i},Rep {i % 10},{'Closed Won' if i % 2 else 'Closed Lost'},2025-03-1{i % 9},{i}\n"
        for i in range(n))


@pytest.fixture
def shop(tmp_path):
    """A database file with a roster and 200 deals, and exports of 300 and 50 new deals."""
    for name, text in (("roster.csv", ROSTER), ("d0.csv", deals("A", 200)), ("d1.csv", deals("B", 300)),
                       ("d2.csv", deals("C", 50))):
        (tmp_path / name).write_text(text)
    cfg = stores.resolve("", tmp_path / "huddle.duckdb")
    stores.write(cfg, ingest_file, "reps", tmp_path / "roster.csv")
    stores.write(cfg, ingest_file, "crm", tmp_path / "d0.csv")
    return cfg


def _env() -> dict:
    return {**os.environ, "PYTHONPATH": str(ROOT), "HUDDLE_STORE": "", "HUDDLE_REFRESH": "skip"}


def held_writer(cfg, export) -> subprocess.Popen:
    """A writer process stopped inside its transaction, its upload done but not published."""
    proc = subprocess.Popen([sys.executable, "-c", HELD_WRITER, str(cfg.path), str(export)], cwd=ROOT, env=_env(),
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline().strip()
    assert line == "held", (line, proc.wait(30), proc.stderr.read())
    return proc


def read_in_another_process(cfg, wait_seconds: float = 20.0) -> dict:
    out = subprocess.run([sys.executable, "-c", READER, str(cfg.path), str(wait_seconds), COUNT], cwd=ROOT,
                         env=_env(), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def side_files(cfg) -> list[str]:
    return sorted(p.name for p in cfg.path.parent.iterdir()
                  if p.name.startswith(cfg.path.name + ".") and not p.name.endswith(".lock"))


def test_a_reader_process_reads_the_old_data_while_a_writer_process_is_mid_upload_and_the_new_after(shop):
    writer = held_writer(shop, shop.path.parent / "d1.csv")
    try:
        # The writer holds its lock and its open transaction: the reader neither waits nor sees the upload.
        during = read_in_another_process(shop, wait_seconds=5)
        assert during["counts"] == [200, 2]
        with stores.reading(shop, wait_seconds=1) as con:   # a reader in this process too
            assert con.execute(COUNT).fetchone() == (200, 2)
        with stores.writing(shop, lock=False, wait_seconds=1) as con:   # and a preview: a scratch copy, no lock
            assert ingest_file(con, "crm", shop.path.parent / "d2.csv", dry_run=True).rows_inserted == 50
        out, err = writer.communicate("go\n", timeout=120)
        assert writer.returncode == 0 and out.strip() == "done", err
    finally:
        writer.kill()
    with stores.reading(shop) as con:
        assert con.execute(COUNT).fetchone() == (500, 3)
    assert side_files(shop) == []                           # the writer's copy is the file now


def test_a_writer_killed_mid_upload_leaves_the_previous_data_readable_and_the_next_writer_cleans_up(shop):
    writer = held_writer(shop, shop.path.parent / "d1.csv")
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(30)
    assert any(".next-" in name for name in side_files(shop))   # its unfinished copy is left behind
    with stores.reading(shop, wait_seconds=1) as con:        # every table reads whole, as before the upload
        assert con.execute(COUNT).fetchone() == (200, 2)
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary").fetchall():
            con.execute(f'SELECT * FROM "{table}"').fetchall()
    r = stores.write(shop, ingest_file, "crm", shop.path.parent / "d2.csv", wait_seconds=5)  # its lock died with it
    assert r.rows_inserted == 50
    with stores.reading(shop) as con:
        assert con.execute(COUNT).fetchone() == (250, 3)
    assert side_files(shop) == []


def test_two_writers_take_turns_and_neither_change_is_lost(shop):
    first = held_writer(shop, shop.path.parent / "d1.csv")
    second: list = []
    thread = threading.Thread(target=lambda: second.append(
        stores.write(shop, ingest_file, "crm", shop.path.parent / "d2.csv", wait_seconds=120)))
    try:
        thread.start()
        time.sleep(2.0)
        assert thread.is_alive()                             # waiting for the first writer's lock
        out, err = first.communicate("go\n", timeout=120)
        assert first.returncode == 0, err
        thread.join(120)
    finally:
        first.kill()
    assert second[0].rows_inserted == 50                     # written on the first writer's published version
    with stores.reading(shop) as con:
        assert con.execute(COUNT).fetchone() == (550, 4)


def test_a_reader_of_this_process_keeps_its_version_and_one_opened_after_the_publish_sees_the_new(shop):
    """DuckDB shares one open database per path within a process: opened by path, the second reader would get the
    first reader's older version (this test fails with plain duckdb.connect of the file)."""
    with stores.reading(shop) as before:
        stores.write(shop, ingest_file, "crm", shop.path.parent / "d2.csv")
        with stores.reading(shop) as after:
            assert after.execute(COUNT).fetchone() == (250, 3)
        assert before.execute(COUNT).fetchone() == (200, 2)


def test_the_cache_key_changes_with_a_published_change_and_not_with_a_write_that_changed_nothing(shop):
    key = stores.version_key(shop)
    with stores.writing(shop) as con:                        # read only, inside a writer's turn
        con.execute(COUNT).fetchall()
    assert stores.version_key(shop) == key
    stores.write(shop, ingest_file, "crm", shop.path.parent / "d2.csv")
    assert stores.version_key(shop) != key


def test_a_failed_write_and_a_preview_leave_the_file_as_it_was(shop):
    key = stores.version_key(shop)
    with pytest.raises(ValueError):
        with stores.writing(shop) as con:
            ingest_file(con, "crm", shop.path.parent / "d2.csv")
            raise ValueError("the upload's caller failed after the commit")
    with stores.writing(shop, lock=False) as con:            # a preview: a scratch copy, thrown away
        ingest_file(con, "crm", shop.path.parent / "d2.csv")
    assert stores.version_key(shop) == key
    with stores.reading(shop) as con:
        assert con.execute(COUNT).fetchone() == (200, 2)
    assert side_files(shop) == []


def test_a_connection_opened_on_the_file_directly_is_shared_as_before(shop):
    """db.connect (tests, tools) works on the file in place; readers and writers of this process go through it."""
    con = db.connect(shop.path)
    try:
        ingest_file(con, "crm", shop.path.parent / "d2.csv")            # in its log, not yet in the file
        with stores.reading(shop) as reader:
            assert reader.execute(COUNT).fetchone() == (250, 3)
        stores.write(shop, ingest_file, "crm", shop.path.parent / "d1.csv")
        assert con.execute(COUNT).fetchone() == (550, 4)                # written through the same database
    finally:
        con.close()
    with stores.reading(shop) as con:
        assert con.execute(COUNT).fetchone() == (550, 4)


@pytest.mark.parametrize("fsync", ["on", "off"])
def test_a_published_change_is_read_back_whether_or_not_it_is_synced_to_disk(shop, monkeypatch, fsync):
    monkeypatch.setenv(settings.FSYNC_ENV, fsync)
    assert settings.fsync() is (fsync == "on")
    before = stores.version_key(shop)
    stores.write(shop, db.bump_data_version)
    with stores.reading(shop) as con:
        assert db.data_version(con) == 3             # the roster, the export and this bump
    assert stores.version_key(shop) != before and not side_files(shop)


def test_a_reader_opening_while_a_writer_renames_a_new_version_over_the_file_opens_one_of_the_versions(tmp_path):
    # Linux refuses a hard link to a file whose last name a rename has just taken (ENOENT, though the path exists):
    # the reader must link the new version instead of failing the page.
    path = tmp_path / "huddle.duckdb"
    con = db.connect(path)
    con.execute("CREATE TABLE v AS SELECT 1 AS n")
    con.close()
    versions = []
    for n in (1, 2):
        version = tmp_path / f"v{n}.duckdb"
        version.write_bytes(path.read_bytes())
        versions.append(version)
    stop = threading.Event()

    def publish():
        i = 0
        while not stop.is_set():
            fresh = tmp_path / f"next{i}.duckdb"
            shutil.copyfile(versions[i % 2], fresh)     # a new file each time: the replaced one loses its last name
            os.replace(fresh, path)
            i += 1

    writer = threading.Thread(target=publish)
    writer.start()
    try:
        for _ in range(100):
            reader = db.open_read(path, wait_seconds=5)
            assert reader.execute("SELECT n FROM v").fetchone() == (1,)
            reader.close()
    finally:
        stop.set()
        writer.join()
