"""The app shell and the What's loaded page, through Streamlit's AppTest."""

from __future__ import annotations

import pytest
from conftest import ROOT
from pagetools import set_role
from streamlit.testing.v1 import AppTest

from pages import PAGES


def test_the_app_opens_on_the_overview_with_real_numbers(demo_copy):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert len(at.metric) >= 4


def test_whats_loaded_shows_the_counts_per_kind(demo_copy, demo_world):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page(str(ROOT / "pages" / "ops" / "loaded.py")).run()
    assert not at.exception
    labels = {m.label: int(m.value.replace(",", "")) for m in at.metric}
    files = demo_world["truth"]["files"]
    assert labels["Opportunities"] == files["salesforce_opportunities.csv"] + files["hubspot_deals.csv"]
    assert labels["Reps"] == 150 and labels["Messages"] == 4


def test_an_empty_database_shows_how_to_load_data_instead_of_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HUDDLE_DB", str(tmp_path / "empty.duckdb"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert any("No data loaded yet" in i.value for i in at.info)


def test_local_mode_says_so_on_screen(tmp_path, monkeypatch):
    monkeypatch.setenv("HUDDLE_DB", str(tmp_path / "empty.duckdb"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert any("Local single-user mode" in c.value for c in at.sidebar.caption)


def test_streamlit_legacy_pages_scan_finds_no_page_script():
    # Until st.navigation is first called, Streamlit runs a pages/ folder beside app.py in its legacy multipage mode
    # (PagesManager.uses_pages_directory): script_runner._mpa_v1 lists pages/*.py except __init__.py and names
    # starting with "." as pages that open without app.py's identity gate. There must be none to list.
    assert (ROOT / "pages").is_dir()
    listed = [p.name for p in (ROOT / "pages").glob("*.py") if not p.name.startswith(".") and p.name != "__init__.py"]
    assert listed == []


@pytest.mark.parametrize("key", list(PAGES))
def test_a_first_deep_link_runs_through_app_py_and_lands_on_its_page(key, tmp_path, monkeypatch):
    # AppTest starts every run like a new server process (the legacy-mode flag unset), so this is a first request.
    monkeypatch.setenv("HUDDLE_DB", str(tmp_path / "empty.duckdb"))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.switch_page(PAGES[key].script).run()          # before any run: the URL /<key>
    assert not at.exception
    assert at.title[0].value == PAGES[key].title
    assert any("Local single-user mode" in c.value for c in at.sidebar.caption), "app.py drew the sidebar"


def test_a_first_deep_link_to_a_page_the_role_may_not_open_says_so_instead_of_page_not_found(tmp_path,
                                                                                             monkeypatch):
    monkeypatch.setenv("HUDDLE_DB", str(tmp_path / "empty.duckdb"))
    at = set_role(monkeypatch, AppTest.from_file(str(ROOT / "app.py"), default_timeout=60), "marketing")
    at.switch_page("pages/ops/data.py").run()
    assert not at.exception
    assert at.title[0].value == "Data"
    assert any("do not have access to this page" in e.value for e in at.error)
    assert not at.get("file_uploader")
    assert any("Signed in as someone@example.com (marketing)" in c.value for c in at.sidebar.caption)
