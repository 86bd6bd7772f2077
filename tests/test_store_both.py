"""The same answers on either store (the local file, DuckLake on a real PostgreSQL), and uploads that never wait for
the default-view refresh."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import date

import pytest
from conftest import ROOT, TABLES

from analytics import db, refresh_worker, results, stores
from analytics.demo_load import DEMO_FILES
from analytics.ingest.load import ingest_file, list_uploads, undo
from analytics.views.forgetting import forecast, forecast_rows
from analytics.views.report import build_report

# DuckLake's extensions exist for duckdb 1.5.5 only: `make test` runs these in .venv-lake (see Makefile).
pytestmark = pytest.mark.lake

V1 = ("opportunity_id,sales_agent,deal_stage,close_date,close_value\n"
      "A,Ann Lee,Engaging,,\nB,Ann Lee,Won,2026-01-05,100\nC,Bo Ek,Lost,2026-01-06,0\n")
V2 = ("opportunity_id,sales_agent,deal_stage,close_date,close_value\n"
      "A,Ann Lee,Won,2026-02-01,250\nB,Ann Lee,Won,2026-01-05,100\nD,Bo Ek,Engaging,,\n")
TODAY = date(2026, 6, 30)


@pytest.fixture(params=["file", "lake"])
def store(request, tmp_path):
    """A fresh, empty store of either kind."""
    if request.param == "file":
        yield stores.resolve("", tmp_path / "huddle.duckdb")
        refresh_worker.WORKER.wait(120)
        return
    cfg = stores.resolve(f"ducklake:postgres:{request.getfixturevalue('pg_database')}", data_path=tmp_path / "lake")
    yield cfg
    refresh_worker.WORKER.wait(120)
    stores.forget(cfg)


def rows(cfg, sql: str) -> list:
    with stores.reading(cfg) as con:
        return con.execute(sql).fetchall()


@pytest.fixture(scope="module")
def small_demo(tmp_path_factory):
    """The demo company's exports at 30 reps (every export kind, a fifth of the rows), ingested into a file with
    db.connect (no default-view refresh: each store computes the same answers itself): enough to compare the two
    stores, and several times quicker to build and load than the full demo."""
    from analytics.demo import generate
    out = tmp_path_factory.mktemp("small_demo")
    generate(out / "csv", seed=7, n_reps=30)
    con = db.connect(out / "demo.duckdb")
    try:
        for kind, name in DEMO_FILES:
            ingest_file(con, kind, out / "csv" / name, uploaded_by=db.DEMO_UPLOADER)
    finally:
        con.close()
    return {"dir": out / "csv", "db": out / "demo.duckdb"}


@pytest.fixture
def small_con(small_demo):
    """A read-only connection to the small demo's database (built on the file store)."""
    con = db.connect(small_demo["db"], read_only=True)
    yield con
    con.close()


def load_demo(cfg, world) -> None:
    for kind, name in DEMO_FILES:
        stores.write(cfg, ingest_file, kind, world["dir"] / name, uploaded_by=db.DEMO_UPLOADER)


def test_upload_undo_and_reupload_give_the_same_tables_on_either_store(store, write):
    stores.write(store, ingest_file, "crm", write("v1.csv", V1))
    after_v1 = rows(store, "SELECT opportunity_id, outcome, amount FROM opportunities ORDER BY ALL")
    assert after_v1 == [("generic:A", "open", None), ("generic:B", "won", 100.0), ("generic:C", "lost", 0.0)]
    r2 = stores.write(store, ingest_file, "crm", write("v2.csv", V2))
    assert (r2.upload_id, r2.rows_inserted, r2.rows_updated, r2.rows_unchanged) == (2, 1, 1, 1)
    again = stores.write(store, ingest_file, "crm", write("v2.csv", V2))
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 3)
    out = stores.write(store, undo, r2.upload_id)
    assert out["versions_removed"] == 2
    assert rows(store, "SELECT opportunity_id, outcome, amount FROM opportunities ORDER BY ALL") == after_v1
    with stores.reading(store) as con:
        history = list_uploads(con).set_index("upload_id")["status"].to_dict()
    assert history == {1: "active", 2: "undone", 3: "active"}


def test_the_report_and_the_forecast_are_the_same_on_either_store(store, small_demo, small_con):
    load_demo(store, small_demo)
    with stores.reading(store) as con:
        counts = {t: con.execute(f"SELECT count(*) FROM {t}").fetchall()[0][0] for t in TABLES}
        report = build_report(con, TODAY, n_boot=200)
        fc = forecast_rows(forecast(con, [TODAY]))
    assert counts == {t: small_con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    assert json.dumps(report, default=str, sort_keys=True) == \
        json.dumps(build_report(small_con, TODAY, n_boot=200), default=str, sort_keys=True)
    expected = forecast_rows(forecast(small_con, [TODAY]))
    assert len(fc) > 100 and fc.sort_values(list(fc.columns[:3])).reset_index(drop=True).equals(
        expected.sort_values(list(expected.columns[:3])).reset_index(drop=True))


def test_an_upload_returns_before_the_refresh_and_pages_compute_on_demand_meanwhile(store, write, monkeypatch):
    stores.write(store, ingest_file, "crm", write("v1.csv", V1))
    computing, gate = threading.Event(), threading.Event()

    def slow_refresh(con, today=None):
        """One stored result (the deals it saw), once let go (the real steps: test_refreshing_twice_...)."""
        computing.set()                     # marked running (refresh_runs) and computing on a frozen copy
        gate.wait(60)
        deals = con.execute("SELECT count(*) FROM opportunities").fetchall()[0][0]
        results.save(con, "deals seen", "{}", deals)
        return {"deals seen": 0.0}

    monkeypatch.setattr(refresh_worker, "refresh", slow_refresh)
    refresh_worker.request(store, TODAY)
    assert computing.wait(60)
    with stores.reading(store) as con:
        assert refresh_worker.refresh_status(con)["state"] == "refreshing"
        assert results.status(con).empty           # nothing stored yet for this data version: computed on demand
    started = time.monotonic()
    r = stores.write(store, ingest_file, "crm", write("v2.csv", V2))     # while it refreshes
    assert time.monotonic() - started < 30 and (r.rows_inserted, r.rows_updated) == (1, 1)
    refresh_worker.request(store, TODAY)                # coalesced with the one running
    gate.set()
    assert refresh_worker.WORKER.wait(300)
    with stores.reading(store) as con:
        status = refresh_worker.refresh_status(con)
        stored = results.status(con)
        seen = results.load(con, "deals seen", "{}")
        runs = con.execute("SELECT data_version, state FROM refresh_runs ORDER BY started_at").fetchall()
    assert status["state"] == "current" and status["refreshed_version"] == status["data_version"]
    assert list(stored["name"]) == ["deals seen"] and seen == 4      # the new version's 4 deals, not V1's 3
    # The round computed on the data before the upload saved nothing; the next one saved the new version's results.
    assert [v for v, state in runs if state == "done"] == [status["data_version"]]
    assert refresh_worker.WORKER.outcomes[store][-1] == "current"


def test_a_failed_refresh_is_reported_and_the_upload_stays(store, write, monkeypatch):
    def broken(con, today=None):
        raise ValueError("the model did not converge")

    monkeypatch.setattr(refresh_worker, "refresh", broken)
    stores.write(store, ingest_file, "crm", write("v1.csv", V1))
    assert refresh_worker.run_until_current(store) == ["failed"]
    with stores.reading(store) as con:
        status = refresh_worker.refresh_status(con)
        assert con.execute("SELECT count(*) FROM opportunities").fetchone()[0] == 3
    assert status["state"] == "failed" and "did not converge" in status["detail"]
    assert refresh_worker.run_until_current(store) == ["current"]   # not retried until the data changes


def test_refreshing_twice_for_the_same_data_does_the_work_once(store, write):
    stores.write(store, ingest_file, "crm", write("v1.csv", V1))
    assert refresh_worker.run_until_current(store, TODAY) == ["saved", "current"]
    assert refresh_worker.run_until_current(store, TODAY) == ["current"]
    assert rows(store, "SELECT state, count(*) FROM refresh_runs GROUP BY ALL ORDER BY ALL") == \
        [("done", 1), ("running", 1)]


def _cli(cfg, *args, env_extra=None, timeout=300):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HUDDLE_REFRESH": "skip"}
    if cfg.is_lake:
        env.update(HUDDLE_STORE=cfg.spec(), HUDDLE_DATA_PATH=cfg.data_path)
    else:
        env.update(HUDDLE_DB=str(cfg.path))
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "analytics", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


def test_the_command_line_returns_once_committed_and_a_detached_process_refreshes(store, write):
    out = _cli(store, "ingest", "crm", str(write("v1.csv", V1)), "--json", "--refresh", "background")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["rows_inserted"] == 3
    deadline = time.monotonic() + 240
    while True:
        with stores.reading(store) as con:
            state = refresh_worker.refresh_status(con)["state"]
        if state == "current":
            break
        assert state in ("pending", "refreshing") and time.monotonic() < deadline, state
        time.sleep(0.5)
    listed = _cli(store, "uploads", "--json")
    assert listed.returncode == 0 and [u["upload_id"] for u in json.loads(listed.stdout)] == [1]


def test_the_store_flags_beat_the_environment(tmp_path, write):
    target = tmp_path / "flagged.duckdb"
    out = _cli(stores.resolve("", tmp_path / "env.duckdb"), "ingest", "crm", str(write("v1.csv", V1)),
               "--store", "", "--db", str(target))
    assert out.returncode == 0, out.stderr
    assert target.exists() and not (tmp_path / "env.duckdb").exists()
    bad = _cli(stores.resolve("", target), "uploads", "--store", "sqlite:x.db")
    assert bad.returncode == 2 and "unknown store 'sqlite'" in bad.stderr


def test_on_the_file_a_detached_refresh_holds_the_database_only_for_a_moment(small_demo, tmp_path):
    import shutil
    path = tmp_path / "demo.duckdb"
    shutil.copy(small_demo["db"], path)
    cfg = stores.resolve("", path)
    stores.write(cfg, ingest_file, "crm", small_demo["dir"] / "hubspot_deals.csv")   # unchanged: no new version
    with stores.writing(cfg) as con:
        db.bump_data_version(con)                    # a new data version the stored view does not match
    proc = refresh_worker.spawn(cfg)
    waits, started = [], time.monotonic()
    while proc.poll() is None and time.monotonic() - started < 300:
        t0 = time.monotonic()
        con = db.connect(path, wait_seconds=60)      # what a page does for each cached call
        con.close()
        waits.append(time.monotonic() - t0)
        time.sleep(0.05)
    assert proc.wait(timeout=30) == 0
    with stores.reading(cfg) as con:
        assert refresh_worker.refresh_status(con)["state"] == "current"
    seconds = time.monotonic() - started
    assert seconds > 3 * max(waits), (seconds, max(waits))   # the refresh took far longer than any page waited
