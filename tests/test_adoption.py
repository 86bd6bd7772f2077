"""Adoption metrics: scope, certification rate, time to certify, curve and funnel, on a hand-built database."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

import analytics.db as db
from analytics.filters import Filters
from analytics.metrics.certification import FUNNEL
from analytics.views import adoption
from analytics.views.queries import rep_message
from test_lift import insert, planted_world

LAUNCH = date(2024, 3, 1)


@pytest.fixture
def con():
    """Five reps, an Enterprise-only message and an all-deals message, with known attempts."""
    con = db.connect(":memory:")
    insert(con, "reps", pd.DataFrame({
        "rep_id": ["r1", "r2", "r3", "r4", "crm_only"], "rep_name": ["A", "B", "C", "D", "Admin"],
        "team": ["east", "east", "west", "west", None], "region": ["NA", "NA", "EU", "EU", None],
        "manager": ["Ann", "Ann", "Bob", "Bob", None], "in_roster": [True, True, True, True, False]}))
    insert(con, "messages", pd.DataFrame({
        "message_id": ["ent", "all"], "message_name": ["Enterprise pitch", "For everyone"],
        "launch_date": [LAUNCH, LAUNCH], "target_segment": ["Enterprise", None],
        "adoption_target": [0.5, 0.9], "in_catalog": True}))
    insert(con, "opportunities", pd.DataFrame({
        "opportunity_id": ["o1", "o2", "o3"], "rep_id": ["r1", "r2", "r3"], "owner_name": "x",
        "outcome": ["won", "open", "lost"], "is_closed": [True, False, True], "is_won": [True, False, False],
        "close_date": [date(2024, 1, 5), None, date(2024, 1, 9)], "segment": ["Enterprise", "enterprise", "SMB"]}))
    attempts = [  # rep, message, time, passed
        ("r1", "ent", "2024-03-11 10:00", True), ("r2", "ent", "2024-03-05 10:00", False),
        ("r3", "ent", "2024-03-02 10:00", True),                      # passed, but out of scope
        ("r1", "all", "2024-02-20 10:00", True),                      # a pilot: before launch
        ("r2", "all", "2024-04-15 10:00", True), ("r3", "all", "2024-03-20 10:00", False),
        ("r3", "all", "2024-06-01 10:00", True)]
    insert(con, "quiz_attempts", pd.DataFrame({
        "attempt_id": [f"q{i}" for i in range(len(attempts))], "rep_id": [a[0] for a in attempts],
        "message_id": [a[1] for a in attempts], "attempted_at": pd.to_datetime([a[2] for a in attempts]),
        "score": [0.9 if a[3] else 0.5 for a in attempts], "passed": [a[3] for a in attempts]}))
    yield con
    con.close()


def test_rep_message_has_one_row_per_considered_rep_and_message(con):
    rows = rep_message(con)
    assert not rows.duplicated(["rep_id", "message_id"]).any()
    assert set(rows["rep_id"]) == {"r1", "r2", "r3", "r4"}      # a CRM-only user with nothing is not a rep
    assert len(rows) == 4 * 2


def test_a_rep_is_in_scope_when_owning_a_deal_in_the_target_segment(con):
    rows = rep_message(con).set_index(["message_id", "rep_id"])["is_in_scope"]
    assert [r for r in ("r1", "r2", "r3", "r4") if rows[("ent", r)]] == ["r1", "r2"]   # open deals count too
    assert all(rows[("all", r)] for r in ("r1", "r2", "r3", "r4"))


def test_certification_rate_counts_in_scope_reps_only(con):
    c = adoption.certification(con).set_index("message_id")
    assert (c.loc["ent", "reps_in_scope"], c.loc["ent", "reps_attempted"], c.loc["ent", "reps_certified"]) == (2, 2, 1)
    assert c.loc["ent", "certification_rate"] == 0.5
    assert c.loc["all", "certification_rate"] == 0.75
    assert c.loc["ent", "meets_target"] is True and c.loc["all", "meets_target"] is False


def test_days_to_certify_count_from_launch_with_pilots_at_day_zero(con):
    rows = rep_message(con).set_index(["message_id", "rep_id"])
    assert rows.loc[("ent", "r1"), "days_to_certify"] == 10
    assert rows.loc[("all", "r1"), "days_to_certify"] == 0
    assert rows.loc[("all", "r3"), "first_attempt_at"] == pd.Timestamp("2024-03-20 10:00")
    assert pd.isna(rows.loc[("all", "r4"), "days_to_certify"])
    c = adoption.certification(con).set_index("message_id")
    assert c.loc["all", "median_days_to_certify"] == 45.0          # 0, 45 and 92 days
    assert c.loc["all", "reps_certified_30d"] == 1


def test_attempts_after_as_of_are_ignored(con):
    c = adoption.certification(con, as_of=date(2024, 4, 1)).set_index("message_id")
    assert c.loc["all", "reps_certified"] == 1
    assert c.loc["all", "reps_attempted"] == 2


def test_certification_by_team_splits_reps_and_rejects_other_columns(con):
    c = adoption.certification(con, by="team", min_size=1)
    east = c[(c["message_id"] == "all") & (c["team"] == "east")].iloc[0]
    assert (east["reps_in_scope"], east["reps_certified"]) == (2, 2)
    assert c.groupby("message_id")["reps_in_scope"].sum().to_dict() == {"ent": 2, "all": 4}
    with pytest.raises(ValueError):
        adoption.certification(con, by="team; DROP TABLE reps")


def test_filters_are_bound_parameters(con):
    assert adoption.certification(con, Filters(teams=("west",))).set_index("message_id").loc["all", "reps_in_scope"] == 2
    assert adoption.certification(con, Filters(segments=("SMB",))).set_index("message_id").loc["all", "reps_in_scope"] == 1
    hostile = adoption.certification(con, Filters(teams=("east' OR '1'='1",)))
    assert (hostile["reps_in_scope"] == 0).all() and len(hostile) == 2       # messages are never hidden
    assert np.isnan(hostile["certification_rate"]).all()
    assert con.execute("SELECT count(*) FROM reps").fetchall()[0][0] == 5


def test_the_curve_is_cumulative_and_ends_at_the_certified_share(con):
    curve = adoption.certification_curve(con)
    for _, g in curve.groupby("message_id"):
        assert g["certified_share"].is_monotonic_increasing
    final = curve.groupby("message_id").tail(1).set_index("message_id")["certified_share"]
    c = adoption.certification(con).set_index("message_id")["certification_rate"]
    assert final.to_dict() == c.to_dict()
    week0 = curve[(curve["message_id"] == "all") & (curve["weeks_since_launch"] == 0)].iloc[0]
    assert week0["reps_certified"] == 1                             # the pilot


def test_the_funnel_narrows_at_every_stage(con):
    f = adoption.funnel(con)
    assert list(f["stage"].unique()) == list(FUNNEL)
    for _, g in f.groupby("message_id"):
        assert g["reps"].is_monotonic_decreasing
    assert f.loc[(f["message_id"] == "ent") & (f["stage"] == "passed"), "share_of_scope"].item() == 0.5


def test_certified_reps_reconcile_with_passed_attempts_in_a_larger_world():
    con = planted_world(db.connect(":memory:"), n_reps=200, deals_per_rep=10)
    c = adoption.certification(con).set_index("message_id")["reps_certified"]
    direct = con.execute("""
        SELECT q.message_id, count(DISTINCT q.rep_id) FROM quiz_attempts q JOIN messages m USING (message_id)
        WHERE q.passed AND (m.target_segment IS NULL OR EXISTS (
            SELECT 1 FROM opportunities o WHERE o.rep_id = q.rep_id AND o.segment = m.target_segment))
        GROUP BY q.message_id""").fetchall()
    assert c.to_dict() == dict(direct)
