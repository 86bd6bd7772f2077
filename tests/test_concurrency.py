"""Concurrency: readers during uploads see before or after, never between, and never wait for the writer; the CLI
and the app share the file."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time

import pytest
from conftest import ROOT

from analytics import auth, db, stores, upload_jobs
from analytics.ingest.load import ingest_file
from analytics.ingest.loaded import loaded_summary

ROSTER = "Name,Email,Team\n" + "".join(f"Rep {i},rep{i}@acme.com,T{i % 3}\n" for i in range(30))
TOTALS = """
    SELECT (SELECT count(*) FROM opportunities), (SELECT coalesce(sum(amount), 0) FROM opportunities),
           (SELECT count(*) FROM uploads WHERE status = 'active'), (SELECT count(*) FROM reps),
           (SELECT coalesce(max(version), 0) FROM data_version)
"""


def deals(prefix: str, n: int, amount: int) -> str:
    rows = "".join(f"{prefix}{i},Rep {i % 30},{'Closed Won' if i % 2 else 'Closed Lost'},2025-0{1 + i % 9}-1{i % 9},"
                   f"{amount}\n" for i in range(n))
    return "Opportunity ID,Opportunity Owner,Stage,Close Date,Amount\n" + rows


@pytest.fixture
def shop(tmp_path):
    """A database file with a roster and 500 deals, and two prepared exports of 20,000 and 15,000 new deals."""
    path = tmp_path / "huddle.duckdb"
    for name, text in (("roster.csv", ROSTER), ("d0.csv", deals("A", 500, 1)), ("d1.csv", deals("B", 20_000, 2)),
                       ("d2.csv", deals("C", 15_000, 3))):
        (tmp_path / name).write_text(text)
    con = db.connect(path)
    ingest_file(con, "reps", tmp_path / "roster.csv")
    ingest_file(con, "crm", tmp_path / "d0.csv")
    con.close()
    return path


def _readers(path, stop, seen, errors, during=lambda: False, counter=None, n=3):
    """Start n threads collecting the distinct totals they read until stop, each read on a connection of its own
    (what a page does for each cached call); a read that waits more than 2 s for a writer is an error."""
    cfg = stores.resolve("", path)

    def read():
        got = set()
        seen.append(got)                   # filled as it reads: a test may look while the readers run
        try:
            while not stop.is_set():
                with stores.reading(cfg, wait_seconds=2) as con:
                    n_deals, amount, uploads, reps, _ = con.execute(TOTALS).fetchone()
                got.add((n_deals, amount, uploads, reps))
                if counter is not None and during():
                    counter[0] += 1
        except BaseException as exc:       # noqa: BLE001 - reported by the test
            errors.append(exc)
    threads = [threading.Thread(target=read) for _ in range(n)]
    for t in threads:
        t.start()
    return threads


def test_readers_never_see_a_half_applied_upload_and_nothing_is_lost(shop):
    ops = auth.User("ops@acme.com", "ops", "header")
    specs = [upload_jobs.FileSpec.make(shop.parent / f"d{i}.csv", f"d{i}.csv", "crm") for i in (1, 2)]
    seen: list[set] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    jobs: list = []
    reads_during_uploads = [0]
    threads = _readers(shop, stop, seen, errors, during=lambda: jobs and not all(j.done for j in jobs),
                       counter=reads_during_uploads)
    deadline = time.monotonic() + 60
    while not set().union(*seen) and time.monotonic() < deadline and not errors:
        time.sleep(0.05)                           # the readers have read the data before the uploads
    # Two sessions upload at the same time: the jobs take turns, each all-or-nothing.
    jobs.extend(upload_jobs.UploadJob(shop, [spec], dry_run=False, user=ops).start() for spec in specs)
    assert all(job.wait(120) for job in jobs)
    after_both = (35_500, 85_500.0, 4, 30)
    deadline = time.monotonic() + 60
    while after_both not in set().union(*seen) and time.monotonic() < deadline and not errors:
        time.sleep(0.1)                            # each read opens the file anew: let one start after the last upload
    stop.set()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert reads_during_uploads[0] > 10            # the readers really read while the uploads ran
    assert all(out.error is None for job in jobs for out in job.outcomes)
    states = set().union(*seen)
    before = (500, 500.0, 2, 30)
    after_b, after_c = (20_500, 40_500.0, 3, 30), (15_500, 45_500.0, 3, 30)
    assert states <= {before, after_b, after_c, after_both}, states - {before, after_b, after_c, after_both}
    assert before in states and after_both in states
    con = db.connect(shop, read_only=True)
    assert con.execute(TOTALS).fetchone()[:4] == after_both
    con.close()


def test_the_same_readers_do_catch_a_write_applied_in_two_steps(shop):
    """The check above can fail: a writer that commits the upload record before its deals is seen half-done."""
    seen, errors, stop = [], [], threading.Event()
    threads = _readers(shop, stop, seen, errors)
    time.sleep(0.2)
    cfg = stores.resolve("", shop)
    stores.write(cfg, lambda con: con.execute("INSERT INTO uploads (upload_id, kind, file_name, sha256, uploaded_at, "
                                              "status) VALUES (99, 'crm', 'x.csv', 'x', now(), 'active')"))
    time.sleep(1.0)
    stores.write(cfg, lambda con: con.execute("INSERT INTO opportunities (opportunity_id, amount) VALUES ('half', 7)"))
    time.sleep(0.2)
    stop.set()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert (500, 500.0, 3, 30) in set().union(*seen)       # upload recorded, its deal not yet there


def _cli(*args, **kw):
    return subprocess.Popen([sys.executable, "-m", "analytics", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def test_a_command_line_ingest_waits_while_another_program_holds_the_file_then_succeeds(shop):
    con = db.connect(shop)                  # the file opened directly (the duckdb shell, an older Huddle)
    proc = _cli("ingest", "crm", str(shop.parent / "d2.csv"), "--db", str(shop), "--json")
    time.sleep(2.0)
    assert proc.poll() is None                              # cannot have finished while the file is held
    con.close()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert json.loads(out)["rows_inserted"] == 15_000
    con = db.connect(shop, read_only=True)
    assert con.execute("SELECT count(*) FROM opportunities").fetchone()[0] == 15_500
    con.close()


def test_a_file_held_too_long_gives_a_clear_message_not_a_lock_error(shop, monkeypatch):
    holder = subprocess.Popen([sys.executable, "-c", "import sys, time; from analytics import db; "
                               f"c = db.connect({str(shop)!r}); print('held', flush=True); time.sleep(8)"],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(db.DatabaseBusy, match="in use by another process"):
            db.connect(shop, wait_seconds=0.5)
        monkeypatch.setattr(upload_jobs, "WAIT_FOR_FILE_SECONDS", 0.5)
        spec = upload_jobs.FileSpec.make(shop.parent / "d2.csv", "d2.csv", "crm")
        outcome = upload_jobs.run_files(shop, [spec], dry_run=False, uploaded_by="ops")[0]
        assert outcome.result is None and "command-line upload may be running" in outcome.error
    finally:
        holder.kill()
        holder.wait()


def test_the_dashboard_shows_data_uploaded_from_the_command_line(shop, monkeypatch):
    from analytics import cache
    monkeypatch.setenv("HUDDLE_DB", str(shop))
    cache.clear()
    counts = cache.run(loaded_summary).set_index("kind")["n_records"]
    assert counts["crm"] == 500
    proc = _cli("ingest", "crm", str(shop.parent / "d2.csv"), "--db", str(shop))
    assert proc.wait(120) == 0, proc.stderr.read()
    counts = cache.run(loaded_summary).set_index("kind")["n_records"]
    assert counts["crm"] == 15_500
