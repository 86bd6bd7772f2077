"""The Adoption page through AppTest: funnel, heat map, drill-down to a team and a rep, roles and small groups."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

ROLES = {"mkt@example.com": "marketing", "rachel@example.com": "manager:Rachel Adams"}


@pytest.fixture
def on_demo(shared_demo, monkeypatch):
    monkeypatch.setenv("HUDDLE_DB", str(shared_demo))
    monkeypatch.setenv("HUDDLE_ROLES", json.dumps(ROLES))
    monkeypatch.delenv("HUDDLE_MIN_GROUP_SIZE", raising=False)


def page(email: str | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "pages" / "leadership" / "adoption.py"), default_timeout=120)
    if email:
        at.user = {"email": email, "is_logged_in": True}
    return at


def heatmap(at) -> dict:
    """The heat map trace of the page's plotly charts."""
    for chart in at.get("plotly_chart"):
        for trace in json.loads(chart.proto.spec)["data"]:
            if trace["type"] == "heatmap":
                return trace
    raise AssertionError("no heat map on the page")


def test_the_adoption_page_shows_the_funnel_time_to_certify_heat_map_and_the_hr_note(on_demo):
    at = page().run()
    assert not at.exception
    assert any("not for HR decisions" in i.value or "HR decisions" in i.value for i in at.info)
    assert len(at.get("plotly_chart")) == 4        # funnel, time to certify, certified -> used (demo calls), heat map
    assert any(s.value == "From certified to used" for s in at.subheader)
    cells = heatmap(at)
    assert cells["y"] == ["APAC ANZ", "APAC Asia", "EMEA North", "EMEA South", "NA East", "NA West"]
    assert all(t.endswith("/25)") for row in cells["text"] for t in row)


def test_grouping_by_manager_and_filtering_a_team_change_the_heat_map(on_demo):
    at = page().run()
    at.segmented_control(key="adoption_by").set_value("manager").run()
    assert "Rachel Adams" in heatmap(at)["y"]
    at.multiselect(key="f_teams").set_value(["EMEA North", "NA West"]).run()
    assert not at.exception
    assert len(heatmap(at)["y"]) == 2


def test_drilling_down_to_a_team_and_a_rep_shows_the_reps_history(on_demo):
    at = page().run()
    at.selectbox(key="adoption_group_team").set_value("NA East").run()
    assert not at.exception
    reps = at.dataframe[0].value
    assert len(reps) == 25 and "Security-First Value Prop" in reps.columns
    rep = at.selectbox(key="adoption_rep").options[0]
    at.selectbox(key="adoption_rep").select_index(0).run()
    assert not at.exception
    assert any(h.value == rep for h in at.subheader)
    assert len(at.get("plotly_chart")) == 5                     # the rep's quiz scores
    assert {"Message", "Certified at"} <= set(at.dataframe[1].value.columns)
    assert "Closed in scope" in at.dataframe[2].value.columns


def test_marketing_sees_only_aggregates_without_rep_drill_down(on_demo):
    at = page("mkt@example.com").run()
    assert not at.exception
    assert any("Rep-level detail is not shown" in i.value for i in at.info)
    assert len(at.selectbox) == 0 and len(at.dataframe) == 0


def test_a_manager_sees_only_their_own_team(on_demo):
    at = page("rachel@example.com").run()
    assert not at.exception
    assert heatmap(at)["y"] == ["NA East"]
    assert at.selectbox(key="adoption_group_team").options == ["NA East"]


def test_groups_below_the_configured_minimum_are_hidden_on_the_heat_map(on_demo, monkeypatch):
    monkeypatch.setenv("HUDDLE_MIN_GROUP_SIZE", "30")
    at = page().run()
    assert not at.exception
    assert all(t.endswith("hidden") for row in heatmap(at)["text"] for t in row)
    assert any("fewer than 30 reps" in c.value for c in at.caption)


def test_an_empty_database_shows_how_to_load_data_on_the_adoption_page(tmp_path, monkeypatch):
    monkeypatch.setenv("HUDDLE_DB", str(tmp_path / "empty.duckdb"))
    at = page().run()
    assert not at.exception
    assert any("No data loaded yet" in i.value for i in at.info)


def navigation(root: str) -> None:
    """A two-page app like app.py's navigation (app.py lists its pages; this test needs only two of them)."""
    import streamlit as st
    pages = [st.Page(f"{root}/pages/leadership/overview.py", url_path="overview", default=True),
             st.Page(f"{root}/pages/leadership/adoption.py", url_path="adoption")]
    st.navigation(pages).run()


def test_the_sidebar_filters_are_kept_when_switching_pages(on_demo):
    at = AppTest.from_function(navigation, args=(str(ROOT),), default_timeout=120).run()
    at.multiselect(key="f_teams").set_value(["NA East"]).run()
    at.switch_page(str(ROOT / "pages" / "leadership" / "adoption.py")).run()
    assert not at.exception
    assert at.multiselect(key="f_teams").value == ["NA East"]
