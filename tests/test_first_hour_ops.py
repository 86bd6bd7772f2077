"""A new team's first hour as ops: a fresh database stays fresh, the demo says it is the demo, uploads say what they
would do, weak matches are not chosen for you, and the deployment neither trusts a forgeable header nor hides a
refused page behind "Page not found"."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pandas as pd
import pytest
import streamlit.config as st_config
from conftest import ROOT
from pagetools import set_role
from streamlit.testing.v1 import AppTest
from test_data_page import CRM, metrics, page, read, settle, small_db  # noqa: F401  (small_db is a fixture)

from analytics import auth, db, demo_load
from analytics.ingest import health
from analytics.ingest.load import ingest_file

# ------------------------------------------------------------------ a fresh database stays fresh


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """The default and demo database files moved to a private folder; no database configured."""
    monkeypatch.setattr(db, "DEFAULT_DB", tmp_path / "huddle.duckdb")
    monkeypatch.setattr(db, "DEMO_DB", tmp_path / "demo.duckdb")
    monkeypatch.delenv("HUDDLE_DB", raising=False)
    return tmp_path


def test_make_runs_first_step_never_builds_the_demo_into_a_configured_database(tmp_path):
    new = tmp_path / "new.duckdb"
    demo_before = db.DEMO_DB.exists() and db.DEMO_DB.stat().st_mtime_ns
    env = {"HUDDLE_DB": str(new), "PATH": "/usr/bin:/bin"}
    line = next(ln.strip() for ln in (ROOT / "Makefile").read_text().splitlines() if "ensure_demo_database" in ln)
    code = line.split('-c "', 1)[1].rstrip('"')
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert not new.exists()                      # opened later by the app, empty, with the friendly empty state
    assert (db.DEMO_DB.exists() and db.DEMO_DB.stat().st_mtime_ns) == demo_before


def test_the_first_run_without_a_database_builds_the_demo_in_its_own_file(data_dir, demo_world, monkeypatch):
    built = []

    def build(out_dir, path, **kwargs):      # the session's demo stands in for building it again
        built.append(path)
        shutil.copy(demo_world["db"], path)

    monkeypatch.setattr(demo_load, "build_demo", build)
    assert demo_load.ensure_demo_database() == data_dir / "demo.duckdb"
    assert built == [data_dir / "demo.duckdb"] and not (data_dir / "huddle.duckdb").exists()
    assert demo_load.ensure_demo_database() == data_dir / "demo.duckdb" and len(built) == 1


def test_a_configured_database_wins_over_the_demo_and_so_does_the_default_once_it_exists(data_dir, monkeypatch):
    (data_dir / "demo.duckdb").write_bytes(b"")
    assert db.dashboard_path() == data_dir / "demo.duckdb"
    monkeypatch.setenv("HUDDLE_DB", str(data_dir / "mine.duckdb"))
    assert db.dashboard_path() == data_dir / "mine.duckdb"
    assert demo_load.ensure_demo_database() == data_dir / "mine.duckdb"
    monkeypatch.delenv("HUDDLE_DB")
    (data_dir / "huddle.duckdb").write_bytes(b"")
    assert db.dashboard_path() == data_dir / "huddle.duckdb"


def test_the_demo_database_says_it_is_the_demo_and_a_real_one_does_not(demo_con, fresh_db, write):
    assert db.is_demo(demo_con)
    assert not db.is_demo(fresh_db)
    ingest_file(fresh_db, "crm", write("crm.csv", CRM), uploaded_by="ops@acme.com")
    assert not db.is_demo(fresh_db)


def test_pages_on_the_demo_show_the_demo_banner(demo_app):
    at = AppTest.from_file(str(ROOT / "pages" / "ops" / "loaded.py"), default_timeout=60).run()
    assert not at.exception
    assert any("Demo data" in m.value and "demo company" in m.value for m in at.markdown)


def test_a_new_empty_database_shows_the_empty_state_and_no_demo_banner(empty_db):
    at = AppTest.from_file(str(ROOT / "pages" / "ops" / "loaded.py"), default_timeout=60).run()
    assert not at.exception
    assert any("No data loaded yet" in i.value for i in at.info)
    assert not any("Demo data" in m.value for m in at.markdown)
    con = db.connect(empty_db, read_only=True)
    assert con.execute("SELECT count(*) FROM uploads").fetchone()[0] == 0
    con.close()


# ------------------------------------------------------------------ upload rough edges

def test_a_repeat_file_says_which_upload_it_is_and_cannot_be_confirmed(small_db):
    at = page().run()
    at.file_uploader[0].set_value(("crm copy.csv", CRM.encode(), "text/csv")).run()
    settle(at, "data_preview")
    assert not at.exception
    assert any("Already loaded as upload 3 (crm" in i.value for i in at.info)
    assert at.button(key="data_confirm").disabled


def test_a_later_export_previews_a_sample_of_what_its_updates_change(small_db):
    later = CRM.replace("3,Maria Lopez,Negotiation,2025-03-01,50,SMB", "3,Maria Lopez,Closed Won,2025-03-09,55,SMB")
    at = page().run()
    at.file_uploader[0].set_value(("crm week 2.csv", later.encode(), "text/csv")).run()
    settle(at, "data_preview")
    assert metrics(at)["Would update"] == "1"
    diff = next(d.value for d in at.dataframe if list(d.value.columns) == ["line", "field", "was", "becomes"])
    rows = {r.field: (r.was, r.becomes) for r in diff.itertuples()}
    assert rows["stage"] == ("Negotiation", "Closed Won") and rows["outcome"] == ("open", "won")
    assert rows["amount"] == ("50", "55") and rows["close date"] == ("2025-03-01", "2025-03-09")
    assert not at.button(key="data_confirm").disabled


def test_an_unreadable_file_is_named_as_the_user_knows_it(small_db):
    at = page().run()
    at.file_uploader[0].set_value(("logo.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "text/csv")).run()
    errors = " ".join(e.value for e in at.error).replace("\\", "")
    assert errors.startswith("logo.csv: ") and "binary" in errors
    assert not re.search(r"[0-9a-f]{32}|\.upload", errors)          # no saved copy's name


def test_the_upload_history_shows_status_among_the_first_columns(small_db):
    at = page().run()
    at.tabs[1].run() if len(at.tabs) > 1 else None
    grid = next(d for d in at.dataframe if "status" in d.value.columns)
    assert list(grid.proto.column_order)[:2] == ["upload_id", "status"]


@pytest.fixture
def weak_match_db(small_db):
    """Omar Ito on the roster; Omar Tovalin owns a deal (likeness 0.70); Jon Smith is already unmatched (0.90)."""
    con = db.connect(small_db)
    (small_db.parent / "roster2.csv").write_text("Name,Email,Team\nOmar Ito,omar.ito@acme.com,West\n")
    (small_db.parent / "crm2.csv").write_text("Opportunity ID,Opportunity Owner,Stage,Close Date,Amount\n"
                                              "40,Omar Tovalin,Closed Won,2025-02-01,10\n")
    ingest_file(con, "reps", small_db.parent / "roster2.csv")
    ingest_file(con, "crm", small_db.parent / "crm2.csv")
    con.close()
    return small_db


def test_a_weak_match_is_suggested_but_never_chosen_in_advance(weak_match_db):
    con = db.connect(weak_match_db, read_only=True)
    people = health.unmatched_people(con).set_index("name")
    con.close()
    assert people.loc["Omar Tovalin", "suggested_rep"] == "Omar Ito"
    assert people.loc["Omar Tovalin", "score"] < health.MIN_PRESELECT_SCORE
    assert pd.isna(people.loc["Omar Tovalin", "preselect"])
    assert people.loc["Jon Smith", "preselect"] == people.loc["Jon Smith", "suggested_rep_id"]

    at = page().run()
    at.selectbox(key="link_person").set_value(people.loc["Omar Tovalin", "rep_id"]).run()
    assert not at.exception
    assert at.selectbox(key="link_rep").value is None
    assert at.button(key="link_button").disabled
    assert any("below 0.85" in c.value for c in at.caption)


# ------------------------------------------------------------------ deployment and access words

@pytest.mark.parametrize("address, loopback", [
    (None, False), ("", False), ("0.0.0.0", False), ("::", False), ("192.168.1.20", False), ("huddle.acme", False),
    ("127.0.0.1", True), ("127.0.1.1", True), ("localhost", True), ("::1", True), ("[::1]", True)])
def test_only_loopback_addresses_count_as_loopback(address, loopback):
    assert auth.is_loopback(address) is loopback


def test_trusted_header_mode_is_refused_on_a_public_address_unless_allowed(monkeypatch):
    monkeypatch.setenv("HUDDLE_TRUSTED_HEADER", "X-Forwarded-Email")
    monkeypatch.delenv("HUDDLE_ALLOW_PUBLIC_TRUSTED_HEADER", raising=False)
    assert "forge" in auth.header_mode_refusal("header", "0.0.0.0")
    assert "every network interface" in auth.header_mode_refusal("header", None)
    assert auth.header_mode_refusal("header", "127.0.0.1") is None
    assert auth.header_mode_refusal("local", "0.0.0.0") is None
    assert auth.header_mode_refusal("oidc", "0.0.0.0") is None
    monkeypatch.setenv("HUDDLE_ALLOW_PUBLIC_TRUSTED_HEADER", "1")
    assert auth.header_mode_refusal("header", "0.0.0.0") is None


@pytest.fixture
def public_address():
    """Streamlit configured to listen on every interface, as `streamlit run app.py --server.address 0.0.0.0`."""
    before = st_config.get_option("server.address")
    st_config.set_option("server.address", "0.0.0.0")
    yield
    st_config.set_option("server.address", before)


def test_the_app_serves_no_page_in_header_mode_on_a_public_address(empty_db, monkeypatch, public_address):
    monkeypatch.setenv("HUDDLE_TRUSTED_HEADER", "X-Forwarded-Email")
    monkeypatch.delenv("HUDDLE_ALLOW_PUBLIC_TRUSTED_HEADER", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert any("not serving pages" in e.value and "HUDDLE_ALLOW_PUBLIC_TRUSTED_HEADER" in e.value for e in at.error)
    assert not at.metric and not at.file_uploader
    monkeypatch.setenv("HUDDLE_ALLOW_PUBLIC_TRUSTED_HEADER", "1")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert any("No identity reached Huddle" in e.value for e in at.error)


def test_the_shipped_streamlit_config_listens_on_loopback():
    assert st_config.get_option("server.address") == "127.0.0.1"
    assert "--server.address $(ADDRESS)" in (ROOT / "Makefile").read_text()


def test_a_page_the_role_may_not_open_says_so_at_its_url(empty_db, monkeypatch):
    at = set_role(monkeypatch, AppTest.from_file(str(ROOT / "app.py"), default_timeout=60), "marketing")
    at.switch_page("pages/ops/data.py").run()            # the URL /data, bookmarked
    assert not at.exception
    assert any("do not have access to this page" in e.value and "marketing" in e.value for e in at.error)
    assert not at.file_uploader
