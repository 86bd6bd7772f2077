"""The app shell and the What's loaded page, through Streamlit's AppTest."""

from __future__ import annotations


from conftest import ROOT
from streamlit.testing.v1 import AppTest


def test_the_app_opens_on_the_overview_with_real_numbers(demo_copy):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert len(at.metric) >= 4


def test_whats_loaded_shows_the_counts_per_kind(demo_copy, demo_world):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120).run()
    at.switch_page(str(ROOT / "pages" / "loaded.py")).run()
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
