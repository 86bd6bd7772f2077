"""Smoke test of every page in pages/ (found by glob, so new pages are covered): demo data and an empty database."""

from __future__ import annotations

import shutil

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from analytics import db
from pages import PAGES as REGISTERED

PAGES = sorted(p for p in (ROOT / "pages").glob("*/*.py") if not p.name.startswith("_"))


@pytest.fixture(scope="module")
def demo_db(demo_world, tmp_path_factory):
    """One private copy of the demo database shared by this module's renders."""
    target = tmp_path_factory.mktemp("render") / "demo.duckdb"
    shutil.copy(demo_world["db"], target)
    return target


@pytest.fixture(scope="module")
def empty_db(tmp_path_factory):
    """A migrated database with nothing loaded."""
    target = tmp_path_factory.mktemp("render") / "empty.duckdb"
    db.connect(target).close()
    return target


def render(path, database, monkeypatch) -> AppTest:
    monkeypatch.setenv("HUDDLE_DB", str(database))
    monkeypatch.delenv("HUDDLE_ROLES", raising=False)
    monkeypatch.delenv("HUDDLE_MIN_GROUP_SIZE", raising=False)
    return AppTest.from_file(str(path), default_timeout=120).run()


def test_pages_are_found():
    assert {"overview", "adoption", "feedback", "loaded"} <= {p.stem for p in PAGES}


def test_every_page_script_is_in_the_navigation_under_its_own_url():
    assert {str(p.relative_to(ROOT)) for p in PAGES} == {spec.script for spec in REGISTERED.values()}
    assert all(spec.script.endswith(f"/{key}.py") for key, spec in REGISTERED.items())


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_the_page_renders_on_the_demo_database(path, demo_db, monkeypatch):
    at = render(path, demo_db, monkeypatch)
    assert not at.exception, [e.message for e in at.exception]
    assert at.title, "a page starts with its title"
    assert not any("No data loaded yet" in i.value for i in at.info)


@pytest.mark.parametrize("path", PAGES, ids=lambda p: p.stem)
def test_the_page_shows_a_friendly_state_on_an_empty_database(path, empty_db, monkeypatch):
    at = render(path, empty_db, monkeypatch)
    assert not at.exception, [e.message for e in at.exception]
    assert not at.error
    explains = any("No data loaded yet" in i.value for i in at.info)
    offers_upload = len(at.get("file_uploader")) > 0
    assert explains or offers_upload, "an empty database should explain how to load data (or offer an upload)"
