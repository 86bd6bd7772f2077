"""Uploads never wait for the default-view refresh, on either store (the local file, DuckLake on a real PostgreSQL):
a refresh runs after the upload in the background, coalesces, reports its failures and does its work once."""

from __future__ import annotations

import json
import threading
import time

import pytest

from analytics import refresh_worker, results, stores
from analytics.ingest.load import ingest_file
from store_helpers import TODAY, V1, V2, cli, rows, store  # noqa: F401 (store: a fixture)

# DuckLake's extensions exist for duckdb 1.5.5 only: `make test` runs these in .venv-lake (see Makefile).
pytestmark = pytest.mark.lake


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


def test_the_command_line_returns_once_committed_and_a_detached_process_refreshes(store, write):
    out = cli(store, "ingest", "crm", str(write("v1.csv", V1)), "--json", "--refresh", "background")
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
    listed = cli(store, "uploads", "--json")
    assert listed.returncode == 0 and [u["upload_id"] for u in json.loads(listed.stdout)] == [1]
