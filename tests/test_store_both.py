"""The same answers on either store (the local file, DuckLake on a real PostgreSQL); the refresh after an upload is
in test_store_refresh.py."""

from __future__ import annotations

import json
import time

import pytest
from conftest import TABLES

from analytics import db, refresh_worker, stores
from analytics.demo_load import DEMO_FILES
from analytics.ingest.load import ingest_file, list_uploads, undo
from analytics.views.forgetting import forecast, forecast_rows
from analytics.views.report import build_report
from store_helpers import TODAY, V1, V2, cli, rows, store  # noqa: F401 (store: a fixture)

# DuckLake's extensions exist for duckdb 1.5.5 only: `make test` runs these in .venv-lake (see Makefile).
pytestmark = pytest.mark.lake


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


def test_the_store_flags_beat_the_environment(tmp_path, write):
    target = tmp_path / "flagged.duckdb"
    out = cli(stores.resolve("", tmp_path / "env.duckdb"), "ingest", "crm", str(write("v1.csv", V1)),
               "--store", "", "--db", str(target))
    assert out.returncode == 0, out.stderr
    assert target.exists() and not (tmp_path / "env.duckdb").exists()
    bad = cli(stores.resolve("", target), "uploads", "--store", "sqlite:x.db")
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
