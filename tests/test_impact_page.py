"""Win-rate impact: filters passed to the lift model, the 'why naive differs' sentence, figures, and the page."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

import analytics.db as db
from analytics.figures import impact as impact_figures
from analytics.figures.style import VERDICT_COLORS
from analytics.metrics import evidence
from analytics.metrics.periods import period_of
from analytics.views import impact, lift
from analytics.filters import Filters
from test_lift import planted_world
from pagetools import HOSTILE, csv_frame, hostile, set_role

PAGE = str(ROOT / "pages" / "marketing" / "impact.py")
TIMEOUT = 120


@pytest.fixture(scope="module")
def planted():
    con = planted_world(db.connect(":memory:"), n_reps=200, deals_per_rep=40)
    yield con
    con.close()


# ------------------------------------------------------------------------------------------ library

def test_every_sidebar_filter_reaches_the_lift_model_and_none_is_reported_as_not_applied(planted):
    reps = tuple(f"r{i:04d}" for i in range(0, 200, 3))
    filters = Filters(start=date(2024, 3, 1), end=date(2025, 9, 30), teams=("team1", "team3"),
                      segments=("SMB", "Enterprise"), regions=("east", "west"), managers=("Boss",), rep_ids=reps)
    got = lift.message_impact(planted, filters, as_of=date(2025, 6, 30), n_boot=30)
    want = lift.message_lift(planted, as_of=date(2025, 6, 30), date_from=date(2024, 3, 1), date_to=date(2025, 9, 30),
                             teams=["team1", "team3"], segments=["SMB", "Enterprise"], regions=["east", "west"],
                             managers=["Boss"], rep_ids=reps, n_boot=30)
    pd.testing.assert_frame_equal(got, want)
    assert got["closed_deals_adopted"].sum() < lift.message_impact(planted, n_boot=0)["closed_deals_adopted"].sum()


def test_the_overview_lift_applies_the_same_filters_as_the_impact_page(planted):
    filters = Filters(start=date(2024, 6, 1), teams=("team0", "team2"), segments=("SMB",), messages=("m_open",))
    for page in ("leadership/overview.py", "marketing/impact.py"):     # one function behind both pages
        assert "cache.run(lift.message_impact, filters," in (ROOT / "pages" / page).read_text()
    got = lift.message_impact(planted, filters, date(2025, 6, 30), n_boot=30)
    assert list(got["message_id"]) == ["m_open"]


def test_the_caption_names_the_deals_used_and_that_a_team_narrows_the_control_deals_too():
    plain = impact.scope_caption(Filters(), date(2025, 6, 30))
    assert plain == "Deals closed up to 30 Jun 2025."
    teams = impact.scope_caption(Filters(start=date(2024, 3, 1), teams=("NA East", "NA West"), segments=("SMB",)),
                                 date(2025, 6, 30))
    assert teams.startswith("Deals closed from 01 Mar 2024 to 30 Jun 2025 (segments: SMB; teams: NA East, NA West).")
    assert teams.endswith(impact.REP_SCOPE_NOTE)
    assert "control deals" in impact.REP_SCOPE_NOTE
    assert impact.scope_caption(Filters(rep_ids=("r1",)), date(2025, 6, 30)).endswith(impact.REP_SCOPE_NOTE)
    assert impact.REP_SCOPE_NOTE not in impact.scope_caption(Filters(segments=("SMB",)), date(2025, 6, 30))


def test_an_empty_filter_uses_every_closed_deal(planted):
    got = lift.message_impact(planted, Filters(), n_boot=30)
    assert got["closed_deals_adopted"].sum() + got["closed_deals_not_adopted"].sum() == planted.execute(
        "SELECT count(*) FROM opportunities o JOIN messages m ON m.target_segment IS NULL OR "
        "o.segment = m.target_segment WHERE o.close_date >= m.launch_date").fetchone()[0]


def test_the_message_filter_keeps_the_launch_order(planted):
    got = lift.message_impact(planted, Filters(messages=("m_flat", "m_open")), n_boot=20)
    assert list(got["message_id"]) == ["m_open", "m_flat"]


def test_a_hostile_segment_is_bound_and_simply_matches_nothing(planted):
    got = lift.message_impact(planted, Filters(segments=("SMB'; DROP TABLE opportunities; --",)), n_boot=20)
    assert (got["closed_deals_adopted"] == 0).all()
    assert planted.execute("SELECT count(*) FROM opportunities").fetchone()[0] > 0


def test_strata_hold_both_segment_and_ability_band_rows_for_one_message(planted):
    frame = impact.strata(planted, "m_open")
    assert set(frame["by"]) == {"segment", "ability_band"}
    assert set(frame.loc[frame["by"] == "segment", "stratum"]) == {"SMB", "Mid-Market", "Enterprise"}
    assert set(frame["message_id"]) == {"m_open"}


def test_the_planted_world_is_explained_by_able_reps_adopting_first(planted):
    """Able reps certify sooner in the planted world: the sentence must say adopted deals lean to the top third."""
    frame = impact.strata(planted, "m_open")
    naive = lift.message_impact(planted, Filters(messages=("m_open",)), n_boot=20)["naive_lift_pp"].iloc[0]
    sentence = impact.why_naive_differs(frame, naive)
    assert sentence.startswith(tuple(f"{k}% of adopted deals belong to the top third" for k in range(101)))
    assert "credits their ability to the message" in sentence


def strata_frame(high_adopted: float, high_other: float) -> pd.DataFrame:
    rows = [("low", 0.5 - high_adopted / 2, 0.5 - high_other / 2, 1.0),
            ("middle", 0.5 - high_adopted / 2, 0.5 - high_other / 2, 2.0),
            ("high", high_adopted, high_other, 3.0)]
    return pd.DataFrame({"message_id": "m", "by": "ability_band", "stratum": [r[0] for r in rows],
                         "share_of_adopted": [r[1] for r in rows], "share_of_not_adopted": [r[2] for r in rows],
                         "lift_pp": [r[3] for r in rows]})


@pytest.mark.parametrize(("adopted", "other", "start"), [
    (0.50, 0.20, "50% of adopted deals belong to the top third"),
    (0.10, 0.40, "Only 10% of adopted deals"),
    (0.33, 0.34, "Adopted and other deals come from similarly able reps"),
])
def test_the_sentence_follows_where_adopted_deals_come_from(adopted, other, start):
    sentence = impact.why_naive_differs(strata_frame(adopted, other), 9.0)
    assert sentence.startswith(start)
    assert "+1.0 to +3.0 points, against +9.0 overall" in sentence


def test_no_sentence_without_ability_bands_or_a_naive_figure():
    assert impact.why_naive_differs(strata_frame(0.5, 0.2), float("nan")) is None
    assert impact.why_naive_differs(strata_frame(0.5, 0.2).iloc[0:0], 3.0) is None


def test_the_forest_plot_draws_naive_and_adjusted_with_their_intervals(planted):
    lifts = lift.message_impact(planted, Filters(), n_boot=30)
    fig = impact_figures.forest_plot(lifts)
    naive, adjusted = fig.data[:2]
    np.testing.assert_allclose(naive.x, lifts["naive_lift_pp"])
    np.testing.assert_allclose(adjusted.x, lifts["adjusted_lift_pp"])
    np.testing.assert_allclose(np.asarray(adjusted.x) + adjusted.error_x.array, lifts["ci_high_pp"])
    np.testing.assert_allclose(np.asarray(adjusted.x) - adjusted.error_x.arrayminus, lifts["ci_low_pp"])
    tiers = lifts.iloc[0]
    expected = evidence.verdict(tiers.adjusted_lift_pp, tiers.ci_low_pp, tiers.ci_high_pp, tiers.evidence)
    assert adjusted.marker.color[0] == VERDICT_COLORS[expected]
    assert fig.layout.xaxis.title.text == "Win-rate lift (percentage points)"
    assert any(shape.x0 == 0 for shape in fig.layout.shapes)


def test_the_win_rate_chart_marks_the_launch_and_leaves_out_thin_months(planted):
    trend = impact.win_rate_trend(planted, "m_open")
    thin = trend.assign(deals=np.where(trend.index == trend.index[-1], impact_figures.MIN_PERIOD_DEALS - 1, trend["deals"]))
    fig = impact_figures.win_rate_chart(thin, "Open", date(2024, 6, 29))
    assert {t.name for t in fig.data} == {"Before launch", "Not adopted", "Adopted (owner certified)"}
    assert sum(len(t.x) for t in fig.data) == (thin["deals"] >= impact_figures.MIN_PERIOD_DEALS).sum()
    assert any(pd.Timestamp(shape.x0) == pd.Timestamp("2024-06-29") for shape in fig.layout.shapes)
    assert fig.layout.yaxis.tickformat == ".0%"


def test_the_event_study_shows_months_before_certification_apart_with_zero_and_colours_by_direction(planted):
    study = impact.event_study(planted, "m_open", n_boot=40)
    rows = study["rows"]
    assert {"lead", "lag"} <= set(rows["kind"]) and list(rows.columns) == impact.EVENT_COLUMNS
    assert rows["start"].is_monotonic_increasing and (rows.loc[rows["kind"] == "lead", "start"] < 0).all()
    fig = impact_figures.event_study_plot(rows, "Open")
    before, after = fig.data[:2]
    assert before.name.startswith("Before certification") and after.name.startswith("After certification")
    assert len(before.x) == (rows["kind"] == "lead").sum() and len(after.x) == (rows["kind"] == "lag").sum()
    np.testing.assert_allclose(np.asarray(after.y) + after.error_y.array, rows.loc[rows["kind"] == "lag", "ci_high_pp"])
    ticks = list(fig.layout.xaxis.ticktext)
    assert all(t.endswith("(before)") for t in ticks[:len(before.x)]) and not any("(before)" in t for t in ticks[len(before.x):])
    shade = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(shade) == 1 and shade[0].x1 == len(before.x) - 0.5        # the shaded band covers the lead months only
    assert any(s.y0 == 0 and s.y1 == 0 for s in fig.layout.shapes)        # the zero line
    lags = rows[rows["kind"] == "lag"].reset_index(drop=True)
    for i, r in lags.iterrows():                                           # planted +8: blue where it excludes zero
        want = "helpful" if r.ci_low_pp > 0 else "harmful" if r.ci_high_pp < 0 else "uncertain"
        assert after.marker.color[i] == VERDICT_COLORS[want]
    assert (lags["ci_low_pp"] > 0).any()
    robust = lift.message_lift(planted, n_boot=40, estimator="robust_imputation").set_index("message_id")
    assert study["pretrend_p"] == pytest.approx(robust.loc["m_open", "pretrend_p"])
    assert rows["lift_pp"].tolist() == pytest.approx([e["lift_pp"] for e in json.loads(robust.loc["m_open", "event_study"])])


@pytest.mark.parametrize(("p", "words"), [(0.012, "Warning: in the months before certification"),
                                          (0.43, "were not moving apart"), (None, "Too few deals")])
def test_the_pre_trend_test_is_said_in_plain_words(p, words):
    text = impact.pretrend_words(p)
    assert text.startswith(words) or words in text
    assert ("evidence is lowered" in text) == (p is not None and p < 0.05)


# ------------------------------------------------------------------------------------------ page

def test_the_page_shows_the_forest_plot_sentences_and_strata_on_the_demo(demo_app):
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 3                # forest plot, win rate over time, event study
    sentences = [m.value for m in at.markdown if "comparable deals" in m.value]
    assert len(sentences) == 4
    assert any("ROI Calculator Talk Track" in s and "less often" in s for s in sentences)
    strata = [d.value for d in at.dataframe if "stratum" in d.value.columns]
    assert [set(s["stratum"]) for s in strata] == [{"Enterprise", "Mid-Market", "SMB"},
                                                   {"low", "middle", "high", "unknown"}]
    assert any("A deal is adopted for a message" in m.value for m in at.markdown)


def test_the_event_study_of_the_selected_message_is_drawn_with_the_pre_trend_test_in_words(demo_app):
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    at.selectbox(key="impact_message").set_value("roi-calculator-talk-track")
    at.run()
    assert not at.exception
    spec = at.get("plotly_chart")[2].proto.spec
    assert "ROI Calculator Talk Track: lift by months before and after certification" in spec
    assert "before certification" in spec and "(before)" in spec
    assert any("pre-trend test p =" in m.value for m in at.markdown)


def test_an_empty_database_shows_how_to_load_data(empty_db):
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any("No data loaded yet" in i.value for i in at.info)


def test_choosing_another_message_changes_the_sentence_and_the_chart(demo_app):
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    first = at.info[0].value
    at.selectbox(key="impact_message").set_value("roi-calculator-talk-track")
    at.run()
    assert not at.exception
    assert at.info[0].value != first and "less often" in at.info[0].value
    assert "ROI Calculator Talk Track" in at.get("plotly_chart")[1].proto.spec


def library_counts(path, filters: Filters) -> pd.DataFrame:
    """The page's lift counts for these sidebar filters, from the library (counts need no bootstrap)."""
    con = db.connect(path, read_only=True)
    try:
        lo, hi = con.execute("SELECT least(min(close_date), min(created_date)), max(close_date) "
                             "FROM opportunities").fetchone()
        full = replace(filters, start=lo, end=hi)
        out = lift.message_impact(con, full, period_of(full, date.today()).end, n_boot=0)
    finally:
        con.close()
    return out[COUNTS].reset_index(drop=True)


COUNTS = ["closed_deals_adopted", "closed_deals_not_adopted", "reps_adopted", "reps_not_adopted"]


def test_two_segments_are_applied_to_the_lifts(demo_app):
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    everything = at.dataframe[0].value
    at.sidebar.multiselect(key="f_segments").set_value(["SMB"])
    at.run()
    assert not at.exception
    smb = at.dataframe[0].value
    assert (smb["closed_deals_adopted"] < everything["closed_deals_adopted"]).all()
    at.sidebar.multiselect(key="f_segments").set_value(["SMB", "Enterprise"])
    at.run()
    assert not at.exception
    two = at.dataframe[0].value
    assert not any("Not applied" in c.value for c in at.caption)
    pd.testing.assert_frame_equal(two[COUNTS].reset_index(drop=True),
                                  library_counts(demo_app, Filters(segments=("SMB", "Enterprise"))),
                                  check_dtype=False)
    assert (two["closed_deals_not_adopted"] > smb["closed_deals_not_adopted"]).all()


def test_the_page_applies_two_selected_teams(demo_app):
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    everything = at.dataframe[0].value
    at.sidebar.multiselect(key="f_teams").set_value(["NA East", "EMEA North"])
    at.run()
    assert not at.exception
    assert not any("Not applied" in c.value for c in at.caption)
    two = at.dataframe[0].value
    assert (two["closed_deals_adopted"] < everything["closed_deals_adopted"]).all()
    pd.testing.assert_frame_equal(two[COUNTS].reset_index(drop=True),
                                  library_counts(demo_app, Filters(teams=("NA East", "EMEA North"))),
                                  check_dtype=False)


def test_a_manager_sees_lifts_estimated_on_their_own_teams_deals_only(demo_app, monkeypatch):
    at = set_role(monkeypatch, AppTest.from_file(PAGE, default_timeout=TIMEOUT), "manager:Tom Becker").run()
    assert not at.exception
    assert not any("Not applied" in c.value for c in at.caption)
    con = db.connect(demo_app, read_only=True)
    try:
        own = tuple(r for (r,) in con.execute("SELECT rep_id FROM reps WHERE manager = 'Tom Becker'").fetchall())
    finally:
        con.close()
    shown = at.dataframe[0].value
    pd.testing.assert_frame_equal(shown[COUNTS].reset_index(drop=True),
                                  library_counts(demo_app, Filters(rep_ids=own)), check_dtype=False)
    assert (shown["reps_adopted"] <= len(own)).all() and (shown["reps_not_adopted"] <= len(own)).all()


def test_the_lift_download_is_the_table_and_cannot_run_a_formula(demo_copy, downloads):
    hostile(demo_copy, "UPDATE messages SET message_name = $name WHERE message_id = 'security-first-value-prop'")
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    got = csv_frame(downloads(at.get("download_button")[0]))
    assert list(got.columns) == impact.TABLE_COLUMNS
    assert len(got) == 4
    assert "'" + HOSTILE in set(got["message_name"])
    assert not any(str(v).startswith(("=", "+", "@")) for v in got["message_name"])
