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


def small_world(con):
    """Four reps in two teams, an all-deals message and an Enterprise one, a handful of calls with known uses."""
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
        ("c2", "r1", "o1", "call", "2024-03-12"),      # week 1
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
    return con


@pytest.fixture
def small():
    con = small_world(db.connect(":memory:"))
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
    assert week.loc[-2, "is_baseline"] and not week.loc[0, "is_baseline"]
    assert (week.loc[0, "n_calls"], week.loc[0, "n_used"]) == (1, 1)          # c1, six days after launch
    assert (week.loc[1, "n_calls"], week.loc[1, "n_used"]) == (1, 0)          # c2: the prospect said it
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


def usage_world(con, effect=0.10, reverse=False, seed=0, n_reps=120, deals_per_rep=40, calls_per_deal=3):
    """Reps of mixed ability (able reps certify more, certified reps use the message more), three calls per deal.

    effect: win-probability points a use before the close adds (the planted usage effect). reverse: no effect, but
    reps use the message in the last two weeks of deals already going to be won (usage follows deals going well).
    A message 'gap' is certified by most reps and almost never used. Tracker noise: prospect mentions (not use) and
    a small false-positive rate before launch.
    """
    rng = np.random.default_rng(seed)
    ability = rng.normal(0, 0.08, n_reps)
    reps = np.array([f"r{i:03d}" for i in range(n_reps)])
    insert(con, "reps", pd.DataFrame({
        "rep_id": reps, "rep_name": [f"Rep {i}" for i in range(n_reps)],
        "team": [f"team{i % 4}" for i in range(n_reps)],
        "region": "NA", "manager": [f"Boss {i % 4}" for i in range(n_reps)], "in_roster": True}))
    launch = START + timedelta(days=240)
    insert(con, "messages", pd.DataFrame({
        "message_id": ["pitch", "gap"], "message_name": ["Pitch", "Gap"], "launch_date": [launch, launch],
        "adoption_target": 0.8, "target_date": [launch + timedelta(days=90)] * 2, "in_catalog": True}))
    certifies = rng.random(n_reps) < 1 / (1 + np.exp(-(0.8 + 10 * ability)))
    certified_at = pd.Timestamp(launch) + pd.to_timedelta(rng.integers(0, 60, n_reps), unit="D")
    gap_certified = rng.random(n_reps) < 0.9
    attempts = [(f"a{i}", reps[i], "pitch", certified_at[i]) for i in np.flatnonzero(certifies)]
    attempts += [(f"g{i}", reps[i], "gap", certified_at[i]) for i in np.flatnonzero(gap_certified)]
    insert(con, "quiz_attempts", pd.DataFrame({
        "attempt_id": [a[0] for a in attempts], "rep_id": [a[1] for a in attempts],
        "message_id": [a[2] for a in attempts], "attempted_at": [a[3] + pd.Timedelta(hours=9) for a in attempts],
        "score": 0.9, "passed": True}))

    n = n_reps * deals_per_rep
    r = np.repeat(np.arange(n_reps), deals_per_rep)
    close = pd.to_datetime(START) + pd.to_timedelta(rng.integers(60, 720, n), unit="D")
    length = rng.integers(30, 90, n)
    seg = rng.choice(["SMB", "Mid-Market"], n)
    deal_type = rng.choice(["new", "renewal"], n, p=[0.7, 0.3])
    k = np.repeat(np.arange(n), calls_per_deal)
    call_day = close[k] - pd.to_timedelta((rng.random(len(k)) * length[k]).astype(int), unit="D")
    after = call_day >= pd.Timestamp(launch)
    certified_then = certifies[r[k]] & (call_day >= certified_at[r[k]])
    late = (close[k] - call_day).days < field.LATE_DAYS
    p_base = 0.40 + ability[r] + 0.05 * (deal_type == "renewal") - 0.04 * (seg == "Mid-Market")
    if reverse:
        won = rng.random(n) < np.clip(p_base, 0.02, 0.98)
        p_use = np.where(after, np.where(late & won[k], 0.6, 0.08) + 0.1 * certified_then, 0.01)
        used = rng.random(len(k)) < p_use
    else:
        p_use = np.where(after, 0.12 + 0.28 * certified_then, 0.01)
        used = rng.random(len(k)) < p_use
        used_on_deal = np.bincount(k, weights=used & after, minlength=n) > 0
        won = rng.random(n) < np.clip(p_base + effect * used_on_deal, 0.02, 0.98)
    insert(con, "opportunities", pd.DataFrame({
        "opportunity_id": [f"o{i:05d}" for i in range(n)], "rep_id": reps[r], "owner_name": reps[r],
        "outcome": np.where(won, "won", "lost"), "is_closed": True, "is_won": won, "amount": 1000.0,
        "created_date": (close - pd.to_timedelta(length, unit="D")).date, "close_date": close.date,
        "segment": seg, "deal_type": deal_type}))
    call_ids = np.array([f"c{j:06d}" for j in range(len(k))])
    insert(con, "activities", pd.DataFrame({
        "activity_id": call_ids, "rep_id": reps[r[k]], "opportunity_id": [f"o{i:05d}" for i in k],
        "activity_type": "call", "activity_at": call_day, "activity_date": call_day.date}))
    prospect = ~used & (rng.random(len(k)) < 0.1)       # the prospect said it: never use
    gap_used = after & certified_then & (rng.random(len(k)) < 0.005)
    rows = pd.concat([
        pd.DataFrame({"activity_id": call_ids[used], "message_id": "pitch", "speaker_role": "rep"}),
        pd.DataFrame({"activity_id": call_ids[prospect], "message_id": "pitch", "speaker_role": "prospect"}),
        pd.DataFrame({"activity_id": call_ids[gap_used], "message_id": "gap", "speaker_role": "rep"})])
    insert(con, "message_mentions", rows.assign(turn_no=1, speaker="Someone", score=1.0, method="phrase",
                                                snippet="the pitch", tracker_version="t1"))
    return con


@pytest.fixture(scope="module")
def causal():
    con = usage_world(db.connect(":memory:"), seed=1)
    yield con, field.usage_lift(con, as_of=date(2025, 1, 1), n_boot=200).set_index("message_id")
    con.close()


@pytest.fixture(scope="module")
def reverse():
    con = usage_world(db.connect(":memory:"), effect=0.0, reverse=True, seed=2)
    yield con, field.usage_lift(con, as_of=date(2025, 1, 1), n_boot=200).set_index("message_id")
    con.close()


def test_the_usage_lift_recovers_a_planted_usage_effect_within_its_interval(causal):
    _, out = causal
    row = out.loc["pitch"]
    assert row["usage_ci_low_pp"] <= 10.0 <= row["usage_ci_high_pp"]
    assert row["usage_ci_low_pp"] > 0
    assert abs(row["usage_lift_pp"] - 10.0) < 4
    assert row["usage_evidence"] in ("moderate", "strong")


def test_the_timing_test_stays_quiet_when_usage_causes_the_wins(causal):
    _, out = causal
    assert not out.loc["pitch", "follows_deals"]
    assert "No sign" in out.loc["pitch", "timing_summary"]


def test_the_timing_test_flags_usage_that_follows_deals_going_well(reverse):
    _, out = reverse
    row = out.loc["pitch"]
    assert row["usage_lift_pp"] > 5          # the naive reading: usage "works"
    assert row["follows_deals"] and row["timing_ci_low_pp"] > 0
    assert row["early_lift_pp"] < row["late_lift_pp"]
    assert "follow deals going well" in row["timing_summary"]


def test_the_usage_lift_sits_beside_the_certified_lift_with_the_same_deals(causal):
    con, out = causal
    assert {"certified_lift_pp", "certified_ci_low_pp", "certified_evidence"} <= set(out.columns)
    assert out.loc["pitch", "method"].startswith("imputation DiD")
    deals = field.deal_rows(con, as_of=date(2025, 1, 1))
    pitch = deals[deals["message_id"] == "pitch"]
    assert out.loc["pitch", "deals_used"] == pitch["is_used"].sum()
    assert out.loc["pitch", "deals_used"] + out.loc["pitch", "deals_not_used"] == len(pitch)


def test_the_widely_certified_but_unused_message_shows_a_wide_transfer_gap(causal):
    con, _ = causal
    share = field.gap_by_message(con, as_of=date(2025, 1, 1)).set_index("message_id")
    assert share.loc["gap", "share_not_using"] > 0.6
    assert share.loc["pitch", "share_not_using"] < share.loc["gap", "share_not_using"]
    f = field.funnel(con, as_of=date(2025, 1, 1))
    gap = f[f["message_id"] == "gap"].set_index("stage")["share_of_scope"]
    assert gap["certified"] > 0.8 and gap["uses it in calls"] < gap["certified"] / 2


def user(role, manager=None):
    return auth.User(email=f"{role}@example.com", role=role, mode="header", manager_name=manager)


@pytest.mark.parametrize("role", ["admin", "ops"])
def test_admin_and_ops_read_transcripts_and_see_who_said_each_snippet(small, role):
    turns = field.transcript(small, user(role), "c1")
    assert turns["text"].tolist() == ["words of c1"]
    shown = field.snippets(small, user(role), message_id="all", as_of=date(2024, 6, 1))
    assert set(shown["rep_name"]) == {"Ann One", "Bo Two"}
    assert shown.loc[shown["speaker_role"] == "rep", "speaker"].notna().all()
    assert shown["activity_id"].notna().all()


def test_a_manager_reads_only_their_own_teams_transcripts_and_names(small):
    mia = user("manager", "mia")                     # the roster says "Mia": compared case-insensitively
    assert len(field.transcript(small, mia, "c1")) == 1           # r1 is Mia's
    assert field.transcript(small, mia, "c5").empty               # r3 is Ned's
    shown = field.snippets(small, mia, message_id="all", as_of=date(2024, 6, 1))
    assert set(shown["rep_name"]) == {"Ann One", "Bo Two"}


@pytest.mark.parametrize("role", ["marketing", "leadership"])
def test_marketing_and_leadership_see_anonymous_snippets_never_the_words_of_a_call(small, role, monkeypatch):
    who = user(role)
    assert field.transcript(small, who, "c1").empty
    monkeypatch.setenv("HUDDLE_MIN_GROUP_SIZE", "2")
    shown = field.snippets(small, who, message_id="all", as_of=date(2024, 6, 1))
    assert len(shown) == 4 and shown["snippet"].notna().all()
    assert shown[["rep_name", "speaker", "title", "activity_id"]].isna().all().all()
    assert set(shown["speaker_role"]) == {"rep", "unknown"}
    monkeypatch.setenv("HUDDLE_MIN_GROUP_SIZE", "3")    # teams of two: a snippet could point at its rep
    assert field.snippets(small, who, message_id="all", as_of=date(2024, 6, 1)).empty


def test_a_role_without_access_reads_nothing(small):
    nobody = auth.User(email="x@example.com", role=auth.NO_ACCESS, mode="header")
    assert field.transcript(small, nobody, "c1").empty
    assert field.snippets(small, nobody, message_id="all", as_of=date(2024, 6, 1)).empty


def test_snippets_follow_the_number_they_sit_behind(small):
    admin = user("admin")
    week0 = field.snippets(small, admin, message_id="all", as_of=date(2024, 6, 1), weeks=(0, 0))
    assert week0["snippet"].tolist() == ["snippet of c1"]
    r2 = field.snippets(small, admin, message_id="all", as_of=date(2024, 6, 1), rep_id="r2")
    assert r2["snippet"].tolist() == ["snippet of c4"]          # the email e1 is not a conversation
    baseline = field.snippets(small, admin, message_id="all", as_of=date(2024, 6, 1), weeks=(None, -1))
    assert baseline["snippet"].tolist() == ["snippet of c0"]
    assert field.snippets(small, admin, message_id="all", as_of=date(2024, 6, 1), team="west").empty


def test_a_hostile_snippet_filter_is_bound_not_executed(small):
    out = field.snippets(small, user("admin"), message_id="all'; DROP TABLE activities; --",
                         team="east' OR '1'='1", as_of=date(2024, 6, 1))
    assert out.empty
    assert small.execute("SELECT count(*) FROM activities").fetchone()[0] == 9


def test_a_database_without_activities_gives_empty_usage_and_no_error():
    con = db.connect(":memory:")
    insert(con, "messages", pd.DataFrame({"message_id": ["m"], "message_name": ["M"], "launch_date": [LAUNCH],
                                          "in_catalog": True}))
    assert not field.has_activities(con)
    rates = field.usage_rates(con, as_of=date(2024, 6, 1))
    assert rates["n_calls"].tolist() == [0] and rates["usage_rate"].isna().all()
    assert field.weekly(con, as_of=date(2024, 6, 1)).empty
    assert field.transfer_gap(con, as_of=date(2024, 6, 1)).empty
    out = field.usage_lift(con, as_of=date(2024, 6, 1), n_boot=50)
    assert out["usage_evidence"].tolist() == ["insufficient"]
    con.close()


def test_the_overview_flags_a_message_certified_widely_but_rarely_said(causal):
    from analytics.views import overview
    from analytics.views.queries import catalog as messages_of
    con, _ = causal
    now = date(2025, 1, 1)
    plan = overview.plan_from_rows(field.rep_message(con, Filters(), now), messages_of(con), now)
    plan = overview.with_transfer_gap(con, plan, Filters(), now)
    reception = pd.DataFrame(columns=["message_id", "ci_high"])
    lifts = pd.DataFrame(columns=["message_id", "ci_high_pp"])
    out = overview.needs_attention(plan, None, reception, lifts).set_index("message_id")
    assert "certified_not_used" in out.loc["gap", "reason_keys"] and out.loc["gap", "is_alarm"]
    assert "certified but not used" in " ".join(out.loc["gap", "reasons"])
    assert "pitch" not in out.index or "certified_not_used" not in out.loc["pitch", "reason_keys"]


def test_without_activities_the_overview_scorecard_and_adoption_additions_say_nothing(small):
    from analytics.views import adoption, overview, scorecard
    small.execute("DELETE FROM activities")
    now = date(2024, 6, 1)
    plan = overview.plan_from_rows(field.rep_message(small, Filters(), now), field.catalog(small), now)
    assert list(overview.with_transfer_gap(small, plan, Filters(), now).columns) == list(plan.columns)
    assert adoption.usage_funnel(small, Filters(), now).empty
    usage_cols = scorecard.usage_columns(small, now)
    assert usage_cols["used_in_calls_share"].isna().all() and (usage_cols["calls_in_scope"] == 0).all()


def test_the_figures_draw_every_message_and_colour_the_lifts_by_their_verdict(small):
    from analytics.figures import field as figures
    from analytics.figures.style import VERDICT_COLORS
    colors = {"For everyone": "#3a7dc9", "Enterprise pitch": "#d6453d"}
    weeks = field.weekly(small, as_of=date(2024, 6, 1))
    assert {t.legendgroup for t in figures.weekly_usage(weeks, colors).data} == {"For everyone", "Enterprise pitch"}
    assert figures.usage_funnel(field.funnel(small, as_of=date(2024, 6, 1)), colors).data[0].x[-1] == "won with it"
    lifts = pd.DataFrame({"message_name": ["Helps", "Unclear"], "certified_lift_pp": [1.0, 2.0],
                          "certified_ci_low_pp": [-1.0, -3.0], "certified_ci_high_pp": [3.0, 7.0],
                          "certified_evidence": ["directional", "directional"], "usage_lift_pp": [9.0, 2.0],
                          "usage_ci_low_pp": [5.0, -3.0], "usage_ci_high_pp": [13.0, 7.0],
                          "usage_evidence": ["moderate", "directional"]})
    used = figures.lift_beside(lifts).data[1]
    assert list(used.marker.color) == [VERDICT_COLORS["helpful"], VERDICT_COLORS["uncertain"]]


def test_the_scorecards_used_in_calls_is_the_company_wide_usage_rate(causal):
    from analytics.views import scorecard
    con, _ = causal
    now = date(2025, 1, 1)
    shown = scorecard.usage_columns(con, now).set_index("message_id")
    rates = field.usage_rates(con, Filters(), now).set_index("message_id")
    assert shown.loc["pitch", "used_in_calls_share"] == pytest.approx(rates.loc["pitch", "usage_rate"])
    assert shown.loc["pitch", "calls_in_scope"] == rates.loc["pitch", "n_calls"] > 0
