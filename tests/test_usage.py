"""Field usage: what "used" means, usage rates with intervals, the funnel, the transfer gap, the usage lift and its
timing test, and who may read the words, on hand-built databases and generated worlds with planted answers."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest

import analytics.db as db
from analytics import auth
from analytics.filters import Filters
from analytics.metrics import usage
from analytics.views import field
from test_lift import insert

LAUNCH = date(2024, 3, 4)       # a Monday
START = date(2023, 1, 2)


def activity(con, rows):
    """Insert activities: (activity_id, rep_id, opportunity_id, type, date)."""
    insert(con, "activities", pd.DataFrame({
        "activity_id": [r[0] for r in rows], "rep_id": [r[1] for r in rows], "opportunity_id": [r[2] for r in rows],
        "activity_type": [r[3] for r in rows], "activity_date": [pd.Timestamp(r[4]).date() for r in rows],
        "activity_at": [pd.Timestamp(r[4]) + pd.Timedelta(hours=10) for r in rows],
        "title": [f"Call {r[0]}" for r in rows], "body": [f"Rep: words of {r[0]}" for r in rows]}))
    insert(con, "activity_turns", pd.DataFrame({
        "activity_id": [r[0] for r in rows], "turn_no": 1, "speaker": "Rep",
        "speaker_role": "rep", "text": [f"words of {r[0]}" for r in rows]}))


def mention(con, rows):
    """Insert tracker matches: (activity_id, message_id, speaker_role)."""
    insert(con, "message_mentions", pd.DataFrame({
        "activity_id": [r[0] for r in rows], "message_id": [r[1] for r in rows], "turn_no": 1,
        "speaker_role": [r[2] for r in rows], "speaker": [None if r[2] == "unknown" else r[2].title() + " Person"
                                                           for r in rows],
        "score": 1.0, "method": "phrase", "snippet": [f"snippet of {r[0]}" for r in rows],
        "tracker_version": "t1"}))


@pytest.fixture
def small():
    """Four reps in two teams, an all-deals message and an Enterprise one, a handful of calls with known uses."""
    con = db.connect(":memory:")
    insert(con, "reps", pd.DataFrame({
        "rep_id": ["r1", "r2", "r3", "r4"], "rep_name": ["Ann One", "Bo Two", "Cy Three", "Di Four"],
        "team": ["east", "east", "west", "west"], "region": "NA", "manager": ["Mia", "Mia", "Ned", "Ned"],
        "in_roster": True}))
    insert(con, "messages", pd.DataFrame({
        "message_id": ["all", "ent"], "message_name": ["For everyone", "Enterprise pitch"],
        "launch_date": [LAUNCH, LAUNCH], "target_segment": [None, "Enterprise"], "adoption_target": 0.8,
        "target_date": [LAUNCH + timedelta(days=56)] * 2, "in_catalog": True}))
    insert(con, "opportunities", pd.DataFrame({
        "opportunity_id": ["o1", "o2", "o3", "o4"], "rep_id": ["r1", "r1", "r3", "r4"], "owner_name": "x",
        "outcome": ["won", "lost", "won", "open"], "is_closed": [True, True, True, False],
        "is_won": [True, False, True, False],
        "close_date": [date(2024, 4, 1), date(2024, 4, 20), date(2024, 4, 10), None],
        "segment": ["SMB", "SMB", "Enterprise", "Enterprise"], "deal_type": "new", "amount": 100.0}))
    insert(con, "quiz_attempts", pd.DataFrame({
        "attempt_id": ["q1", "q2", "q3"], "rep_id": ["r1", "r3", "r4"], "message_id": ["all", "all", "ent"],
        "attempted_at": pd.to_datetime(["2024-03-05 09:00", "2024-03-06 09:00", "2024-03-05 09:00"]),
        "score": 0.9, "passed": True}))
    activity(con, [
        ("c0", "r1", None, "call", "2024-02-20"),      # before launch: the baseline
        ("c1", "r1", "o1", "call", "2024-03-10"),      # week 0
        ("c2", "r1", "o1", "call", "2024-03-12"),
        ("c3", "r1", "o2", "meeting", "2024-03-20"),   # week 2
        ("c4", "r2", None, "call", "2024-03-21"),
        ("c5", "r3", "o3", "call", "2024-03-22"),
        ("c6", "r4", "o4", "call", "2024-03-25"),
        ("e1", "r2", None, "email", "2024-03-26"),     # not a conversation
        ("c7", "r1", "o1", "call", "2024-04-05"),      # after o1 closed: not on the deal
    ])
    mention(con, [
        ("c0", "all", "rep"), ("c1", "all", "rep"), ("c2", "all", "prospect"), ("c3", "all", "unknown"),
        ("c4", "all", "rep"), ("c5", "ent", "rep"), ("e1", "all", "rep"), ("c7", "all", "rep")])
    yield con
    con.close()


def test_a_rep_uses_a_message_when_the_rep_or_an_unlabelled_source_says_it_never_the_prospect(small):
    rates = field.usage_rates(small, as_of=date(2024, 6, 1)).set_index("message_id")
    # 'all' in scope: every rep; conversations after launch c1 c2 c3 c4 c5 c6 c7; used: c1, c3 (unknown), c4, c7
    assert rates.loc["all", "n_calls"] == 7
    assert rates.loc["all", "n_used"] == 4
    assert rates.loc["all", "n_used_unknown_speaker"] == 1
    assert rates.loc["all", "usage_rate"] == pytest.approx(4 / 7)
    assert rates.loc["all", "ci_low"] < 4 / 7 < rates.loc["all", "ci_high"]


def test_an_enterprise_message_counts_only_calls_of_reps_in_scope_on_enterprise_or_unlinked_deals(small):
    rates = field.usage_rates(small, as_of=date(2024, 6, 1)).set_index("message_id")
    # in scope of 'ent': r4 (an open Enterprise deal: from any date) and r3 only from its Enterprise deal's close
    # (10 Apr), so r3's call of 22 Mar is not in scope and neither is its use
    assert rates.loc["ent", "n_calls"] == 1
    assert rates.loc["ent", "n_used"] == 0


def test_calls_before_launch_are_the_baseline_not_the_rate(small):
    counts = field.call_counts(small, as_of=date(2024, 6, 1))
    base = usage.call_rates(counts, field.catalog(small), baseline=True).set_index("message_id")
    assert base.loc["all", "n_calls"] == 1 and base.loc["all", "n_used"] == 1
    weekly = field.weekly(small, as_of=date(2024, 6, 1))
    week = weekly[weekly["message_id"] == "all"].set_index("weeks_since_launch")
    assert week.loc[-2, "is_baseline"] and week.loc[0, "n_calls"] == 2 and week.loc[0, "n_used"] == 1
    assert week.loc[2, "planned_share"] == pytest.approx(0.8 * 14 / 56)


def test_deal_usage_counts_uses_on_the_deal_before_its_close_only(small):
    deals = field.deal_rows(small, as_of=date(2024, 6, 1)).set_index(["message_id", "opportunity_id"])
    assert bool(deals.loc[("all", "o1"), "is_used"])          # c1 before the close; c7 after does not count
    assert bool(deals.loc[("all", "o2"), "is_used"])          # c3: a call without speaker labels counts
    assert bool(deals.loc[("ent", "o3"), "is_used"])
    assert ("all", "o4") not in deals.index                   # open deals are not in scope


def test_the_funnel_nests_its_stages_and_counts_use_without_certification(small):
    f = field.funnel(small, as_of=date(2024, 6, 1))
    stages = f[f["message_id"] == "all"].set_index("stage")["reps"]
    assert list(stages.index) == list(usage.FUNNEL)
    assert stages.tolist() == [4, 2, 1, 1, 1]   # r1 and r3 certified; r1 used in calls, on o1, which was won
    assert f[f["message_id"] == "all"]["used_without_certification"].iloc[0] == 1   # r2
    assert (np.diff(stages.to_numpy()) <= 0).all()


def test_the_transfer_gap_lists_certified_reps_whose_calls_since_never_used_it(small):
    gap = field.transfer_gap(small, as_of=date(2024, 6, 1))
    assert set(zip(gap["message_id"], gap["rep_id"])) == {("all", "r3"), ("ent", "r4")}


def test_small_teams_have_their_usage_blanked(small):
    by_team = field.usage_rates(small, as_of=date(2024, 6, 1), by="team", min_size=3)
    assert by_team["is_suppressed"].all() and by_team["usage_rate"].isna().all()
    shown = field.usage_rates(small, as_of=date(2024, 6, 1), by="team", min_size=2)
    east = shown[(shown["message_id"] == "all") & (shown["team"] == "east")].iloc[0]
    assert east["n_used"] == 4 and east["n_calls"] == 5    # r1: c1 c2 c3 c7 (c2 by the prospect); r2: c4
