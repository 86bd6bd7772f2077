"""The Field usage page: one quiet line without activities, snippets one click from a number, who reads what."""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import ROOT
from pagetools import set_role
from streamlit.testing.v1 import AppTest

import analytics.db as db
from analytics.estimators.tracker import evaluate_fixture
from analytics.views import field
from test_lift import insert
from test_usage import small_world

PAGE = str(ROOT / "pages" / "marketing" / "field.py")


def loaded(con):
    """Mark the database as holding an upload (pages show their first-run state otherwise)."""
    con.execute("INSERT INTO uploads (upload_id, kind, file_name, sha256, uploaded_at) "
                "VALUES (1, 'crm', 'deals.csv', 'x', now())")
    return con


@pytest.fixture(scope="module")
def small_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("field") / "small.duckdb"
    con = loaded(small_world(db.connect(path)))
    con.close()
    return path


@pytest.fixture
def app(small_db, monkeypatch):
    monkeypatch.setenv("HUDDLE_DB", str(small_db))
    monkeypatch.delenv("HUDDLE_ROLES", raising=False)
    monkeypatch.setenv("HUDDLE_MIN_GROUP_SIZE", "2")
    return AppTest.from_file(PAGE, default_timeout=180)


def week_snippets(at: AppTest, week: int = 0) -> AppTest:
    """Open the snippets of one week of the all-deals message."""
    at.selectbox(key="field_week_message").set_value("all").run()
    at.select_slider(key="field_week").set_value(week).run()
    return at


def snippet_table(at: AppTest) -> pd.DataFrame:
    tables = [d.value for d in at.dataframe if "snippet" in d.value.columns]
    assert tables, "a snippet table is shown"
    return tables[-1]


def test_without_activities_the_page_says_one_line_and_offers_the_phrase_editor(tmp_path, monkeypatch):
    path = tmp_path / "quiet.duckdb"
    con = loaded(db.connect(path))
    insert(con, "messages", pd.DataFrame({"message_id": ["m"], "message_name": ["M"], "in_catalog": True}))
    con.close()
    monkeypatch.setenv("HUDDLE_DB", str(path))
    monkeypatch.delenv("HUDDLE_ROLES", raising=False)
    at = AppTest.from_file(PAGE, default_timeout=120).run()
    assert not at.exception
    assert [i.value for i in at.info] == [field.NO_ACTIVITIES]
    assert not at.warning and [s.value for s in at.subheader] == ["Key phrases of the trackers"]


def test_an_admin_sees_the_snippets_of_a_week_with_names_and_reads_the_call(app):
    at = week_snippets(app.run())
    assert not at.exception
    table = snippet_table(at)
    assert table["snippet"].tolist() == ["snippet of c1"] and table["rep_name"].tolist() == ["Ann One"]
    at.selectbox(key="field_read_all_For everyone, week 0").set_value("c1").run()
    assert any("words of c1" in m.value for m in at.markdown)


def test_marketing_sees_anonymous_snippets_aggregates_and_no_rep_breakdown(app, monkeypatch):
    at = week_snippets(set_role(monkeypatch, app, "marketing").run())
    assert not at.exception
    table = snippet_table(at)
    assert table["snippet"].tolist() == ["snippet of c1"]
    assert "rep_name" not in table.columns and "speaker" not in table.columns and "title" not in table.columns
    assert not [s for s in at.selectbox if s.key and s.key.startswith("field_read_")]
    assert "rep" not in at.segmented_control(key="field_by").options
    assert any("aggregated" in c.value for c in at.caption)


def test_a_manager_reads_their_own_teams_calls(app, monkeypatch):
    at = week_snippets(set_role(monkeypatch, app, "manager:Mia").run())
    assert not at.exception
    assert snippet_table(at)["rep_name"].tolist() == ["Ann One"]
    at.selectbox(key="field_read_all_For everyone, week 0").set_value("c1").run()
    assert any("words of c1" in m.value for m in at.markdown)


def test_leadership_cannot_open_a_call(app, monkeypatch):
    at = week_snippets(set_role(monkeypatch, app, "leadership").run())
    assert not at.exception
    assert "rep_name" not in snippet_table(at).columns
    assert not [s for s in at.selectbox if s.key and s.key.startswith("field_read_")]


def test_the_usage_lift_sits_beside_the_certified_lift_with_the_caveat_and_the_trackers_measured_accuracy(app):
    at = app.run()
    assert any(field.CAVEAT in w.value for w in at.warning)
    assert any("Timing test" in m.value for m in at.markdown)
    shown = [d.value for d in at.dataframe if "recall" in d.value.columns]
    held_out = evaluate_fixture("holdout")
    assert len(shown) == 1 and shown[0]["message"].tolist() == held_out["message"].tolist()
    columns = ["precision", "recall", "tp", "fp", "fn"]
    assert shown[0][columns].equals(held_out[columns])


def test_marketing_edits_a_messages_key_phrases_and_can_undo_it(tmp_path, monkeypatch):
    path = tmp_path / "edit.duckdb"
    con = loaded(small_world(db.connect(path)))
    con.close()
    monkeypatch.setenv("HUDDLE_DB", str(path))
    at = set_role(monkeypatch, AppTest.from_file(PAGE, default_timeout=180), "marketing", "cmo@example.com").run()
    assert at.selectbox(key="field_phrase_message").value == "all"
    at.text_input(key="field_phrases_all").set_value("save hours; cut costs").run()
    at.button(key="field_phrases_save").click().run()
    assert not at.exception
    assert any("Saved the key phrases" in s.value for s in at.success)
    con = db.connect(path, read_only=True)
    assert con.execute("SELECT key_phrases, key_phrases_source FROM messages WHERE message_id = 'all'"
                       ).fetchone() == ("save hours; cut costs", "edit")
    con.close()
    at.button(key="field_phrases_undo").click().run()
    con = db.connect(path, read_only=True)
    assert con.execute("SELECT key_phrases FROM messages WHERE message_id = 'all'").fetchone() == (None,)
    con.close()


def test_leadership_sees_the_key_phrases_but_cannot_edit_them(app, monkeypatch):
    at = set_role(monkeypatch, app, "leadership").run()
    assert not [b for b in at.button if b.key == "field_phrases_save"]
    assert any("Marketing, ops and admin edit key phrases" in c.value for c in at.caption)
