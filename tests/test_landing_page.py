"""The landing page for a first visit: what Huddle is, readable tiles, the last full quarter, alarms that respect evidence."""

from __future__ import annotations

from datetime import date as D

import pandas as pd
import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from analytics.metrics.periods import Period, default_period, last_full_quarter, quarter_of
from analytics.views import overview

# ------------------------------------------------------------------------------------------ periods


def test_the_last_full_quarter_is_the_one_that_ended_before_today():
    assert last_full_quarter(D(2026, 12, 3)) == Period(D(2026, 7, 1), D(2026, 9, 30))
    assert last_full_quarter(D(2026, 1, 1)) == Period(D(2025, 10, 1), D(2025, 12, 31))
    assert last_full_quarter(D(2026, 9, 30)) == Period(D(2026, 7, 1), D(2026, 9, 30))   # its last day: complete


def test_a_quarter_is_compared_with_the_calendar_quarter_before_it():
    q3 = quarter_of(D(2026, 8, 15))
    assert q3.is_quarter and q3.label() == "Q3 2026"
    assert q3.previous() == Period(D(2026, 4, 1), D(2026, 6, 30))    # 91 days, not the 92 days before
    assert quarter_of(D(2026, 2, 10)).previous() == Period(D(2025, 10, 1), D(2025, 12, 31))
    assert not Period(D(2026, 6, 1), D(2026, 8, 31)).is_quarter


def test_no_default_quarter_when_the_data_starts_inside_it():
    assert default_period(D(2026, 12, 3), D(2026, 1, 5)) == Period(D(2026, 7, 1), D(2026, 9, 30))
    assert default_period(D(2026, 12, 3), D(2026, 8, 1)) is None
    assert default_period(D(2026, 12, 3), None) is None


# ------------------------------------------------------------------------------------------ attention and evidence

PLAN = pd.DataFrame({"message_id": ["m1", "m2"], "message_name": ["One", "Two"], "is_behind_plan": [False, False],
                     "certification_rate": [0.9, 0.9], "planned_share": [0.8, 0.8], "adoption_target": [0.8, 0.8],
                     "target_date": [D(2026, 3, 1)] * 2})
NO_RECEPTION = pd.DataFrame(columns=["message_id", "mean_rating", "ci_low", "ci_high", "n_rated", "share_negative"])


def lifts(evidence: list[str], lift=(-5.6, -4.0), low=(-13.6, -7.0), high=(-0.1, -1.0)) -> pd.DataFrame:
    return pd.DataFrame({"message_id": ["m1", "m2"], "adjusted_lift_pp": list(lift), "ci_low_pp": list(low),
                         "ci_high_pp": list(high), "evidence": evidence})


def test_a_directional_negative_lift_is_a_note_and_not_an_alarm():
    out = overview.needs_attention(PLAN, None, NO_RECEPTION, lifts(["directional", "moderate"])).set_index("message_id")
    assert out.loc["m1", "reason_keys"] == ["directional_lift"] and not out.loc["m1", "is_alarm"]
    assert "not an alarm" in out.loc["m1", "reasons"][0] and "directional evidence" in out.loc["m1", "reasons"][0]
    assert out.loc["m2", "reason_keys"] == ["negative_lift"] and out.loc["m2", "is_alarm"]


def test_a_team_whose_lift_disagrees_with_the_company_says_so():
    whole = pd.DataFrame({"message_id": ["m1", "m2"], "adjusted_lift_pp": [3.0, -4.5], "ci_low_pp": [1.0, -6.0],
                          "ci_high_pp": [5.0, -3.0], "evidence": ["strong", "strong"]})
    out = overview.needs_attention(PLAN, None, NO_RECEPTION, lifts(["directional", "moderate"]), whole)
    text = dict(zip(out["message_id"], out["reasons"]))
    assert "company-wide they won 3.0 points more often (strong evidence)" in text["m1"][0]
    assert "disagrees with the whole" in text["m1"][0]
    assert "company-wide" not in text["m2"][0]          # the team agrees with the company: nothing to add


# ------------------------------------------------------------------------------------------ the page


@pytest.fixture
def on_demo(shared_demo, monkeypatch):
    monkeypatch.setenv("HUDDLE_DB", str(shared_demo))
    monkeypatch.delenv("HUDDLE_MIN_GROUP_SIZE", raising=False)


def overview_page() -> AppTest:
    return AppTest.from_file(str(ROOT / "pages" / "leadership" / "overview.py"), default_timeout=120)


def test_the_landing_page_says_what_huddle_is_and_what_to_do_next(on_demo):
    at = overview_page().run()
    assert not at.exception
    intro = at.markdown[0].value
    assert "**Huddle**" in intro and "wins deals" in intro and "Message scorecard" in intro


def test_tiles_have_short_labels_and_say_what_their_figures_are_based_on(on_demo):
    at = overview_page().run()
    assert all(len(m.label) <= 16 for m in at.metric), [m.label for m in at.metric]
    helps = {m.label: m.help for m in at.metric}
    assert "closed deals" in helps["Win rate"] and "Based on " in helps["Win rate"]
    assert "Targeted reps certified" in helps["Reps certified"] and "rep-message pairs" in helps["Reps certified"]
    assert "ratings" in helps["Field rating"]


def test_by_default_the_tiles_compare_the_last_full_quarter_with_the_one_before(on_demo):
    at = overview_page().run()
    quarter = last_full_quarter(D.today())
    caption = " ".join(c.value for c in at.caption)
    assert f"Tiles compare {quarter.label()}" in caption and f"with {quarter.previous().label()}" in caption
    widget = at.date_input(key="f_dates")
    assert widget.max <= D.today() and widget.value[1] <= D.today()   # no day after today to pick


def test_chosen_dates_replace_the_default_quarter(on_demo):
    at = overview_page().run()
    at.date_input(key="f_dates").set_value((D(2026, 6, 1), D(2026, 8, 31))).run()
    caption = " ".join(c.value for c in at.caption)
    assert "Tiles compare" not in caption and "01 Jun 2026 to 31 Aug 2026" in caption
