"""Shareable links: the sidebar filters and the selected message travel in the URL and reproduce the view."""

from __future__ import annotations

from datetime import date as D

import pytest
from conftest import ROOT
from pagetools import HOSTILE
from streamlit.testing.v1 import AppTest

OVERVIEW = str(ROOT / "pages" / "leadership" / "overview.py")
IMPACT = str(ROOT / "pages" / "marketing" / "impact.py")


@pytest.fixture
def on_demo(demo_app, monkeypatch):
    monkeypatch.delenv("HUDDLE_MIN_GROUP_SIZE", raising=False)
    monkeypatch.delenv("HUDDLE_ROLES", raising=False)


def test_changing_a_filter_writes_it_into_the_url(on_demo):
    at = AppTest.from_file(OVERVIEW, default_timeout=120).run()
    assert "team" not in at.query_params and "from" not in at.query_params     # defaults keep the link plain
    at.multiselect(key="f_teams").set_value(["APAC Asia"]).run()
    at.date_input(key="f_dates").set_value((D(2026, 6, 1), D(2026, 8, 31))).run()
    assert at.query_params["team"] == "APAC Asia"
    assert (at.query_params["from"], at.query_params["to"]) == ("2026-06-01", "2026-08-31")


def test_opening_a_shared_link_reproduces_the_view(on_demo):
    sender = AppTest.from_file(OVERVIEW, default_timeout=120).run()
    sender.multiselect(key="f_teams").set_value(["APAC Asia"]).run()
    sender.date_input(key="f_dates").set_value((D(2026, 6, 1), D(2026, 8, 31))).run()
    link = dict(sender.query_params)

    receiver = AppTest.from_file(OVERVIEW, default_timeout=120)
    receiver.query_params.update(link)
    receiver.run()
    assert not receiver.exception
    assert receiver.multiselect(key="f_teams").value == ["APAC Asia"]
    assert receiver.date_input(key="f_dates").value == (D(2026, 6, 1), D(2026, 8, 31))
    assert [m.value for m in receiver.metric] == [m.value for m in sender.metric]


def test_values_a_link_cannot_choose_are_dropped(on_demo):
    at = AppTest.from_file(OVERVIEW, default_timeout=120)
    at.query_params.update({"team": ["APAC Asia", HOSTILE], "from": "2026-13-01", "to": "2999-01-01"})
    at.run()
    assert not at.exception
    assert at.multiselect(key="f_teams").value == ["APAC Asia"]
    assert at.date_input(key="f_dates").value[1] <= D.today()          # an impossible range keeps the default


def test_the_message_in_detail_on_the_impact_page_is_part_of_the_link(on_demo):
    at = AppTest.from_file(IMPACT, default_timeout=180).run()
    assert at.selectbox(key="impact_message").value != "roi-calculator-talk-track"    # not the first message
    at.selectbox(key="impact_message").set_value("roi-calculator-talk-track").run()
    link = dict(at.query_params)
    assert link["focus"] == "roi-calculator-talk-track"

    receiver = AppTest.from_file(IMPACT, default_timeout=180)
    receiver.query_params.update(link)
    receiver.run()
    assert not receiver.exception
    assert receiver.selectbox(key="impact_message").value == link["focus"]
