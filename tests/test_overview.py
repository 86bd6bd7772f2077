"""Leadership views: filtered certification, plan, headline tiles, attention, drill-down, suppression, Overview page."""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

from analytics import db
from analytics.figures import adoption as adoption_figures
from analytics.figures.style import message_colors
from analytics.metrics.groups import suppress_small_groups
from analytics.metrics.periods import Period, period_of
from analytics.metrics.plan import planned_share
from analytics.settings import min_group_size
from analytics.views import adoption, feedback, overview, queries, retention
from analytics.views.lift import message_impact
from analytics.db import sql
from analytics.filters import REP_PREDICATE, Filters

D = date


def insert(con, table, rows: list[dict]):
    """Append rows to one of the current tables, matching columns by name."""
    con.register("incoming", pd.DataFrame(rows))
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
    con.unregister("incoming")


def build_world(con):
    """Three teams; message Alpha (all deals) and Beta (Enterprise); known attempts, deals and feedback.

    Alpha, launched 1 Jan 2026: team A 3 of 4 passed (a1 day 4, a2 day 19, a3 day 45; a4 failed), team B 1 of 2
    (b1 day 2), team C 0 of 3. Beta, launched 1 Mar 2026: in scope a1 and b1 (they sell Enterprise), a1 passed.
    """
    reps = [("a1", "A", "East", "Ann"), ("a2", "A", "East", "Ann"), ("a3", "A", "East", "Ann"),
            ("a4", "A", "East", "Ann"), ("b1", "B", "West", "Bob"), ("b2", "B", "West", "Bob"),
            ("c1", "C", "West", "Cat"), ("c2", "C", "West", "Cat"), ("c3", "C", "West", "Cat")]
    insert(con, "reps", [{"rep_id": r, "rep_name": f"Rep {r}", "team": t, "region": g, "manager": m,
                          "in_roster": True} for r, t, g, m in reps])
    insert(con, "messages", [
        {"message_id": "alpha", "message_name": "Alpha", "launch_date": D(2026, 1, 1), "target_segment": None,
         "adoption_target": 0.8, "target_date": D(2026, 1, 31), "in_catalog": True},
        {"message_id": "beta", "message_name": "Beta", "launch_date": D(2026, 3, 1), "target_segment": "Enterprise",
         "adoption_target": 0.5, "target_date": D(2026, 3, 31), "in_catalog": True}])
    attempts = [("a1", "alpha", datetime(2026, 1, 5, 10), 0.9, True),
                ("a2", "alpha", datetime(2026, 1, 10, 10), 0.6, False),
                ("a2", "alpha", datetime(2026, 1, 20, 10), 0.85, True),
                ("a3", "alpha", datetime(2026, 2, 15, 10), 0.8, True),
                ("a4", "alpha", datetime(2026, 1, 8, 10), 0.5, False),
                ("b1", "alpha", datetime(2026, 1, 3, 10), 0.95, True),
                ("a1", "beta", datetime(2026, 3, 10, 10), 0.9, True)]
    insert(con, "quiz_attempts", [{"attempt_id": f"q{i}", "rep_id": r, "message_id": m, "attempted_at": t,
                                   "score": s, "passed": p} for i, (r, m, t, s, p) in enumerate(attempts)])
    deals = [("o1", "a1", "Enterprise", "won", D(2026, 3, 15)), ("o2", "a1", "Enterprise", "lost", D(2026, 3, 5)),
             ("o3", "a1", "SMB", "won", D(2025, 12, 15)), ("o4", "a2", "SMB", "won", D(2026, 2, 1)),
             ("o5", "a2", "SMB", "lost", D(2026, 1, 10)), ("o6", "b1", "Enterprise", "lost", D(2026, 2, 1)),
             ("o7", None, "SMB", "won", D(2026, 2, 10)), ("o8", "a3", "SMB", "open", D(2026, 4, 1))]
    insert(con, "opportunities", [{"opportunity_id": o, "rep_id": r, "owner_name": r or "Someone Else",
                                   "segment": s, "outcome": out, "is_closed": out != "open", "is_won": out == "won",
                                   "close_date": c, "amount": 1000.0} for o, r, s, out, c in deals])
    notes = [("f1", "a1", "alpha", D(2026, 1, 10), 5.0, "Positive"), ("f2", "a2", "alpha", D(2026, 1, 12), 4.0, "Neutral"),
             ("f3", "a3", "alpha", D(2026, 2, 20), 2.0, "Objection"), ("f4", "b1", "alpha", D(2026, 1, 15), 1.0, "Lost interest"),
             ("f5", "a1", "beta", D(2026, 3, 12), 3.0, "Neutral"), ("f6", None, "alpha", D(2026, 2, 1), None, None)]
    insert(con, "feedback", [{"feedback_id": f, "rep_id": r, "message_id": m, "feedback_date": d, "rating": x,
                              "outcome": o, "notes": "a note"} for f, r, m, d, x, o in notes])
    return con


@pytest.fixture
def world(tmp_path):
    con = build_world(db.connect(tmp_path / "w.duckdb"))
    yield con
    con.close()


def rate(frame, message_id, **where):
    rows = frame[frame["message_id"] == message_id]
    for k, v in where.items():
        rows = rows[rows[k] == v]
    assert len(rows) == 1
    return rows.iloc[0]


# ------------------------------------------------------------------------------------------ certification

def test_a_team_where_three_of_four_reps_passed_is_certified_at_75_percent(world):
    by_team = adoption.certification(world, Filters(), D(2026, 3, 31), "team")
    a = rate(by_team, "alpha", team="A")
    assert (a.reps_in_scope, a.reps_attempted, a.reps_certified, a.reps_certified_30d) == (4, 4, 3, 2)
    assert a.certification_rate == 0.75
    assert rate(by_team, "alpha", team="C").certification_rate == 0.0


def test_team_lists_segments_and_messages_narrow_the_reps_and_messages_counted(world):
    two = adoption.certification(world, Filters(teams=("A", "B")), D(2026, 3, 31))
    assert rate(two, "alpha").reps_in_scope == 6 and rate(two, "alpha").reps_certified == 4
    enterprise = adoption.certification(world, Filters(segments=("enterprise",)), D(2026, 3, 31))
    assert rate(enterprise, "alpha").reps_in_scope == 2      # a1 and b1 sell Enterprise
    only_beta = adoption.certification(world, Filters(messages=("beta",)), D(2026, 3, 31))
    assert only_beta["message_id"].tolist() == ["beta"]


def test_certification_as_of_a_date_ignores_later_passes(world):
    early = adoption.certification(world, Filters(teams=("A",)), D(2026, 1, 31))
    assert rate(early, "alpha").reps_certified == 2          # a3 passed on 15 Feb


def test_hostile_filter_values_are_bound_never_executed(world):
    hostile = "A'); DROP TABLE reps; --"
    out = adoption.certification(world, Filters(teams=(hostile,), managers=(hostile,)), D(2026, 3, 31), "team")
    assert out.empty
    assert world.execute("SELECT count(*) FROM reps").fetchone()[0] == 9


def test_every_filtered_mart_uses_the_shared_rep_predicate():
    for name in ("rep_message", "win_rate_in_period", "feedback_entries", "feedback_team_volume",
                 "rep_attempts", "rep_deals"):
        text = sql(f"queries/{name}.sql")
        assert text.startswith("-- One row per") or text.startswith("-- One row:"), name
        assert REP_PREDICATE in text, name


def test_the_funnel_counts_reps_in_scope_attempted_passed_and_passed_within_30_days(world):
    f = adoption.funnel(world, Filters(), D(2026, 3, 31))
    alpha = f[f["message_id"] == "alpha"].set_index("stage")["reps"].to_dict()
    assert alpha == {"in scope": 9, "attempted": 5, "passed": 4, "passed within 30 days": 3}


def test_time_to_certify_lists_days_from_launch_of_each_certified_rep(world):
    days = adoption.time_to_certify(world, Filters(), D(2026, 3, 31))
    assert sorted(days.loc[days["message_id"] == "alpha", "days_to_certify"]) == [2, 4, 19, 45]


# ------------------------------------------------------------------------------------------ small groups

def test_groups_smaller_than_the_minimum_are_blanked_and_the_minimum_is_configurable(world, monkeypatch):
    monkeypatch.delenv("HUDDLE_MIN_GROUP_SIZE", raising=False)
    assert min_group_size() == 3
    by_team = adoption.certification(world, Filters(), D(2026, 3, 31), "team")
    b = rate(by_team, "alpha", team="B")
    assert b.is_suppressed and pd.isna(b.certification_rate) and pd.isna(b.reps_certified)
    assert b.reps_in_scope == 2                               # the size itself stays, to say why it is hidden
    monkeypatch.setenv("HUDDLE_MIN_GROUP_SIZE", "2")
    b = rate(adoption.certification(world, Filters(), D(2026, 3, 31), "team"), "alpha", team="B")
    assert not b.is_suppressed and b.certification_rate == 0.5
    monkeypatch.setenv("HUDDLE_MIN_GROUP_SIZE", "five")
    assert min_group_size() == 3


def test_suppress_small_groups_keeps_large_groups_untouched():
    frame = pd.DataFrame({"group": ["x", "y"], "n": [5, 2], "rate": [0.4, 1.0]})
    out = suppress_small_groups(frame, "n", ["rate"], min_size=3)
    assert out["rate"].tolist()[0] == 0.4 and pd.isna(out["rate"].tolist()[1])
    assert out["is_suppressed"].tolist() == [False, True]


# ------------------------------------------------------------------------------------------ plan and trend

def test_the_plan_is_a_straight_line_from_launch_to_the_target_on_its_date():
    assert planned_share(D(2026, 1, 1), 0.8, D(2026, 1, 31), D(2026, 1, 16)) == pytest.approx(0.4)
    assert planned_share(D(2026, 1, 1), 0.8, D(2026, 1, 31), D(2026, 6, 1)) == pytest.approx(0.8)
    assert planned_share(D(2026, 1, 1), 0.8, D(2026, 1, 31), D(2025, 12, 1)) == 0.0
    assert planned_share(D(2026, 1, 1), 0.8, None, D(2026, 1, 2)) == pytest.approx(0.8)
    assert pd.isna(planned_share(D(2026, 1, 1), None, D(2026, 1, 31), D(2026, 1, 16)))


def test_a_message_below_its_plan_path_is_behind_and_one_on_target_is_not(world):
    plan = adoption.plan_status(world, Filters(), D(2026, 3, 31))
    alpha, beta = rate(plan, "alpha"), rate(plan, "beta")
    assert alpha.certification_rate == pytest.approx(4 / 9) and alpha.planned_share == pytest.approx(0.8)
    assert alpha.is_behind_plan
    assert beta.certification_rate == 0.5 and beta.planned_share == pytest.approx(0.5)
    assert not beta.is_behind_plan
    before_launch = adoption.plan_status(world, Filters(), D(2026, 2, 1))
    assert not rate(before_launch, "beta").is_behind_plan


def test_the_adoption_trend_is_cumulative_by_week_and_ends_at_the_certification_rate(world):
    trend = adoption.adoption_trend(world, Filters(), D(2026, 2, 28))
    alpha = trend[trend["message_id"] == "alpha"]
    assert alpha["reps_certified"].tolist() == [0, 2, 2, 3, 3, 3, 3, 4, 4]
    assert alpha["week_start"].tolist()[1] == D(2026, 1, 8)
    assert alpha["certified_share"].iloc[-1] == pytest.approx(4 / 9)
    assert "beta" not in set(trend["message_id"])            # launched after the date


# ------------------------------------------------------------------------------------------ headline

def test_a_period_is_compared_with_the_equally_long_period_just_before():
    p = Period(D(2026, 2, 1), D(2026, 3, 31))
    assert p.days == 59
    assert p.previous() == Period(D(2025, 12, 4), D(2026, 1, 31))
    assert period_of(Filters(start=D(2026, 1, 1), end=D(2030, 1, 1)), D(2026, 3, 1)).end == D(2026, 3, 1)


def test_headline_tiles_give_each_figure_and_its_change_against_the_previous_period(world):
    tiles = overview.headline(world, Filters(), Period(D(2026, 2, 1), D(2026, 3, 31))).set_index("key")
    assert (tiles.loc["live", "value"], tiles.loc["live", "previous"], tiles.loc["live", "delta"]) == (2, 1, 1)
    assert tiles.loc["certified", "value"] == pytest.approx(5 / 11)      # Alpha 4/9, Beta 1/2
    assert tiles.loc["certified", "previous"] == pytest.approx(3 / 9)    # Alpha only, by 31 Jan
    assert tiles.loc["certified", "delta"] == pytest.approx(5 / 11 - 3 / 9)
    assert tiles.loc["win_rate", "value"] == pytest.approx(3 / 5)        # open deal and earlier deals excluded
    assert tiles.loc["win_rate", "previous"] == pytest.approx(1 / 2)
    assert tiles.loc["rating", "value"] == pytest.approx(2.5)            # the unrated entry does not count
    assert tiles.loc["rating", "previous"] == pytest.approx(10 / 3)
    assert not tiles.loc["retained", "is_available"] and pd.isna(tiles.loc["retained", "value"])


def test_deals_of_unmatched_owners_count_only_while_no_rep_filter_is_set(world):
    period = Period(D(2026, 2, 1), D(2026, 3, 31))
    assert overview.win_rate_in(world, Filters(), period)["n_closed"] == 5
    team_a = overview.win_rate_in(world, Filters(teams=("A",)), period)
    assert (team_a["n_closed"], team_a["win_rate"]) == (3, pytest.approx(2 / 3))


def test_the_retention_model_is_not_available_without_enough_repeat_attempts(world):
    assert retention.retention_model(world) is None
    assert retention.retention_share(world, Filters(), (D(2026, 3, 31),), None).empty


def test_the_share_above_target_counts_unscored_certified_reps_as_below():
    certified = pd.DataFrame({"on_date": [D(2026, 1, 1)] * 3, "rep_id": ["r1", "r2", "r3"], "message_id": "m"})
    scores = pd.DataFrame({"on_date": [D(2026, 1, 1)] * 2, "rep_id": ["r1", "r2"], "message_id": "m",
                           "expected_score": [0.9, 0.5]})
    out = retention.share_above_target(certified, scores, target=0.8)
    assert (out["n_certified"].iloc[0], out["n_above"].iloc[0]) == (3, 1)


def certified_date_by_date(con, filters, days):
    """The certified in-scope pairs of launched messages on each day, one rep_message per day (the definition)."""
    frames = []
    for day in days:
        rows = queries.rep_message(con, filters, day)
        live = pd.to_datetime(rows["launch_date"]) <= pd.Timestamp(day)
        done = rows[rows["is_in_scope"].astype(bool) & rows["is_certified"].astype(bool) & live]
        frames.append(done[["rep_id", "message_id"]].assign(on_date=day))
    return pd.concat(frames, ignore_index=True)


@pytest.mark.parametrize("filters", [Filters(), Filters(teams=("A",)), Filters(segments=("Enterprise",)),
                                     Filters(messages=("beta",))], ids=["all", "team", "segment", "message"])
def test_certified_pairs_on_many_dates_equal_one_query_per_date(world, filters):
    days = (D(2025, 12, 31), D(2026, 1, 4), D(2026, 1, 20), D(2026, 3, 4), D(2026, 3, 9), D(2026, 3, 10),
            D(2026, 3, 31))
    got = retention.certified_on(world, filters, days)
    want = certified_date_by_date(world, filters, days)

    def order(frame):
        return frame.sort_values(["on_date", "rep_id", "message_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(order(got), order(want), check_dtype=False)


def test_a_rep_enters_a_segments_scope_when_a_deal_there_closes(world):
    rows = queries.rep_message(world, Filters(), D(2026, 3, 31)).set_index(["message_id", "rep_id"])
    assert rows.loc[("beta", "a1"), "in_scope_since"] == pd.Timestamp(2026, 3, 5)   # first Enterprise close
    assert rows.loc[("beta", "b1"), "in_scope_since"] == pd.Timestamp(2026, 2, 1)
    assert pd.isna(rows.loc[("alpha", "a1"), "in_scope_since"]) and rows.loc[("alpha", "a1"), "is_in_scope"]
    # a1 passed Beta on 10 March and was in scope from 5 March: certified on the 10th, not before
    on = retention.certified_on(world, Filters(), (D(2026, 3, 9), D(2026, 3, 10)))
    beta = on[on["message_id"] == "beta"]
    assert list(beta["on_date"]) == [D(2026, 3, 10)] and list(beta["rep_id"]) == ["a1"]


def test_the_landing_view_equals_its_parts_computed_one_by_one(world):
    period = Period(D(2026, 2, 1), D(2026, 3, 31))
    for filters in (Filters(), Filters(teams=("A",))):
        view = overview.landing(world, filters, period, None)
        pd.testing.assert_frame_equal(view["tiles"], overview.headline(world, filters, period, None))
        pd.testing.assert_frame_equal(view["trend"], adoption.adoption_trend(world, filters, period.end))
        pd.testing.assert_frame_equal(view["plan"], adoption.plan_status(world, filters, period.end))
        assert view["retained"].empty


# ------------------------------------------------------------------------------------------ attention

def test_each_reason_for_attention_is_named_with_its_figures():
    plan = pd.DataFrame({"message_id": ["m1", "m2", "m3"], "message_name": ["One", "Two", "Three"],
                         "is_behind_plan": [True, False, False], "certification_rate": [0.3, 0.9, 0.9],
                         "planned_share": [0.6, 0.8, 0.8], "adoption_target": [0.8, 0.8, 0.8],
                         "target_date": [D(2026, 3, 1)] * 3})
    retained = pd.DataFrame({"message_id": ["m1", "m2"], "n_certified": [10, 10], "share_above": [0.9, 0.2]})
    reception = pd.DataFrame({"message_id": ["m1", "m2", "m3"], "mean_rating": [4.0, 2.0, 2.9],
                              "ci_low": [3.8, 1.8, 2.0], "ci_high": [4.2, 2.4, 3.8], "n_rated": [50, 40, 3],
                              "share_negative": [0.0, 0.7, 0.3]})
    lifts = pd.DataFrame({"message_id": ["m1", "m2", "m3"], "adjusted_lift_pp": [-6.0, 2.0, -3.0],
                          "ci_low_pp": [-9.0, -1.0, -8.0], "ci_high_pp": [-2.0, 5.0, 1.0]})
    out = overview.needs_attention(plan, retained, reception, lifts).set_index("message_id")
    assert out.loc["m1", "reason_keys"] == ["behind_plan", "negative_lift"]
    assert out.loc["m2", "reason_keys"] == ["fading", "poor_reception"]
    assert "m3" not in out.index          # wide intervals are not evidence of a problem
    assert "30%" in out.loc["m1", "reasons"][0] and "60%" in out.loc["m1", "reasons"][0]


def test_on_the_demo_world_the_disliked_and_the_negative_messages_need_attention(demo_con):
    today = date.today()
    plan = adoption.plan_status(demo_con, Filters(), today)
    out = overview.needs_attention(plan, None, feedback.reception(demo_con), message_impact(demo_con, Filters(), today))
    reasons = dict(zip(out["message_name"], out["reason_keys"]))
    assert "poor_reception" in reasons["Platform Consolidation Story"]
    assert "negative_lift" in reasons["ROI Calculator Talk Track"]
    assert all("negative_lift" not in v for k, v in reasons.items() if k != "ROI Calculator Talk Track")


# ------------------------------------------------------------------------------------------ drill-down and access

def test_a_team_drill_down_lists_its_reps_with_their_status_on_each_message(world):
    reps = adoption.group_reps(world, Filters(), D(2026, 3, 31), "team", "A").set_index("rep_id")
    assert list(reps.index) == ["a1", "a2", "a3", "a4"]
    assert reps.loc["a1", "Alpha"] == "certified 2026-01-05" and reps.loc["a1", "messages_certified"] == 2
    assert reps.loc["a4", "Alpha"].startswith("attempted, not passed")
    assert reps.loc["a2", "Beta"] == "not in scope"


def test_one_reps_history_has_attempts_certification_and_deals_in_scope(world):
    h = adoption.rep_history(world, Filters(), "a1", D(2026, 3, 31))
    assert len(h["attempts"]) == 2
    deals = h["deals"].set_index("message_id")
    assert (deals.loc["alpha", "n_closed_in_scope"], deals.loc["alpha", "n_closed_adopted"],
            deals.loc["alpha", "n_closed_before_launch"]) == (2, 2, 1)
    assert (deals.loc["beta", "n_closed_in_scope"], deals.loc["beta", "n_closed_adopted"],
            deals.loc["beta", "n_won_adopted"]) == (2, 1, 1)
    assert deals.loc["alpha", "win_rate_in_scope"] == 0.5


def test_a_manager_never_gets_rows_of_reps_outside_their_team(world):
    bob = Filters(rep_ids=("b1", "b2"))
    assert set(queries.rep_message(world, bob, D(2026, 3, 31))["rep_id"]) == {"b1", "b2"}
    assert set(adoption.certification(world, bob, D(2026, 3, 31), "team")["team"]) == {"B"}
    assert adoption.group_reps(world, bob, D(2026, 3, 31), "team", "A").empty
    history = adoption.rep_history(world, bob, "a1", D(2026, 3, 31))
    assert all(frame.empty for frame in history.values())
    assert set(feedback.entries(world, bob)["rep_id"]) == {"b1"}
    assert overview.win_rate_in(world, bob, Period(D(2026, 1, 1), D(2026, 3, 31)))["n_closed"] == 1


def test_feedback_volume_by_team_flags_the_quiet_team_and_hides_small_ones(world, monkeypatch):
    monkeypatch.delenv("HUDDLE_MIN_GROUP_SIZE", raising=False)
    out = feedback.feedback_volume(world, Filters()).set_index("team")
    assert (out.loc["A", "n_reps"], out.loc["A", "n_reps_sending"], out.loc["A", "n_feedback"]) == (4, 3, 4)
    assert out.loc["B", "is_suppressed"] and pd.isna(out.loc["B", "n_feedback"])
    assert out.loc["C", "n_feedback"] == 0 and out.loc["C", "is_quiet"] and not out.loc["A", "is_quiet"]


def test_reception_use_and_effect_sit_side_by_side_per_message(world):
    out = feedback.reception_use_effect(world, Filters(), D(2026, 3, 31)).set_index("message_id")
    assert out.loc["alpha", "n_rated"] == 4 and out.loc["alpha", "certification_rate"] == pytest.approx(4 / 9)
    assert "adjusted_lift_pp" in out.columns and "evidence" in out.columns


# ------------------------------------------------------------------------------------------ charts

def test_a_message_keeps_its_color_whatever_the_filter_shows():
    colors = message_colors(["Alpha", "Beta", "Gamma"])
    curve = pd.DataFrame({"message_id": "b", "message_name": "Beta", "week_start": [D(2026, 3, 1)],
                          "weeks_since_launch": [0], "reps_in_scope": [2], "reps_certified": [1],
                          "certified_share": [0.5]})
    plan = pd.DataFrame({"message_name": ["Beta"], "launch_date": [D(2026, 3, 1)], "adoption_target": [0.5],
                         "target_date": [D(2026, 3, 31)]})
    fig = adoption_figures.adoption_trend(curve, plan, colors)
    assert fig.data[0].line.color == colors["Beta"] != colors["Alpha"]
    assert fig.layout.yaxis.title.text.endswith("(%)") and fig.layout.xaxis.title.text


# ------------------------------------------------------------------------------------------ the page

@pytest.fixture
def on_demo(shared_demo, monkeypatch):
    monkeypatch.setenv("HUDDLE_DB", str(shared_demo))
    monkeypatch.delenv("HUDDLE_MIN_GROUP_SIZE", raising=False)


def page() -> AppTest:
    return AppTest.from_file(str(ROOT / "pages" / "leadership" / "overview.py"), default_timeout=120)


def test_the_overview_shows_tiles_the_plan_chart_and_the_messages_needing_attention(on_demo):
    at = page().run()
    assert not at.exception
    labels = [m.label for m in at.metric]
    assert labels == ["Messages live", "Reps certified", "Still remembered", "Win rate", "Field rating"]
    assert at.metric[0].value == "4"
    assert at.metric[2].value.endswith("%")                   # the forgetting model fits on the demo
    warnings = " ".join(w.value for w in at.warning)
    assert "Platform Consolidation Story" in warnings and "poor field reception" in warnings
    assert "ROI Calculator Talk Track" in warnings and "negative lift" in warnings
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert spec["layout"]["yaxis"]["title"]["text"] == "Reps in scope certified (%)"


def test_the_team_filter_changes_the_overview_tiles(on_demo):
    at = page().run()
    before = {m.label: m.value for m in at.metric}
    at.multiselect(key="f_teams").set_value(["APAC Asia"]).run()
    assert not at.exception
    after = {m.label: m.value for m in at.metric}
    assert after["Win rate"] != before["Win rate"] or after["Reps certified"] != before["Reps certified"]


def test_a_narrower_date_range_compares_with_the_period_before_it(on_demo):
    at = page().run()
    lo = at.date_input(key="f_dates").value[0]
    at.date_input(key="f_dates").set_value((D(2026, 6, 1), D(2026, 8, 31))).run()
    assert not at.exception
    assert any("01 Jun 2026 to 31 Aug 2026" in c.value for c in at.caption)
    assert at.metric[3].delta not in (None, "")                # the previous quarter has closed deals
    assert lo <= D(2026, 6, 1)


def test_an_empty_database_shows_how_to_load_data_on_the_overview(tmp_path, monkeypatch):
    monkeypatch.setenv("HUDDLE_DB", str(tmp_path / "empty.duckdb"))
    at = page().run()
    assert not at.exception
    assert any("No data loaded yet" in i.value for i in at.info)


def test_the_landing_views_retained_share_is_the_retention_share_on_the_periods_end(demo_con):
    model = retention.retention_model(demo_con)
    period = Period(D(2026, 9, 1), D(2026, 11, 27))
    view = overview.landing(demo_con, Filters(), period, model)
    pd.testing.assert_frame_equal(view["retained"], retention.retention_share(demo_con, Filters(), (period.end,), model))
    assert len(view["retained"]) == 4 and view["tiles"].set_index("key").loc["retained", "is_available"]
