"""Adjusted win-rate lift: planted effects, a world without effects, tiny data and a Maven CRM placebo."""

import warnings
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import analytics.db as db
from analytics import auth, settings
from analytics.estimators import robust_lift
from analytics.estimators.lift import ImputationLift, _codes
from analytics.metrics import evidence
from analytics.metrics.deals import win_rate
from analytics.views import lift

MAVEN = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "maven_crm"
MAVEN_LAUNCH = date(2017, 7, 1)
START = date(2024, 1, 1)
PLANTED = {"m_open": 0.08, "m_ent": -0.06, "m_flat": 0.0}


def insert(con, table, frame):
    """Append a DataFrame to one of the current tables, matching columns by name."""
    con.register("incoming", frame)
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
    con.unregister("incoming")


def planted_world(con, effects=PLANTED, seed=0, n_reps=400, deals_per_rep=80, months=24):
    """Reps with ability; able reps certify sooner and more often; a time trend; known effects per message."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(0, 0.12, n_reps)
    rep_ids = np.array([f"r{i:04d}" for i in range(n_reps)])
    insert(con, "reps", pd.DataFrame({
        "rep_id": rep_ids, "rep_name": [f"Rep {i}" for i in range(n_reps)],
        "team": [f"team{i % 4}" for i in range(n_reps)], "region": [("east", "west")[i % 2] for i in range(n_reps)],
        "manager": "Boss", "in_roster": True}))
    messages = pd.DataFrame({
        "message_id": ["m_open", "m_ent", "m_flat"], "message_name": ["Open", "Enterprise", "Flat"],
        "launch_date": [START + timedelta(days=d) for d in (180, 270, 360)],
        "target_segment": [None, "Enterprise", None], "in_catalog": True})
    insert(con, "messages", messages)

    n = n_reps * deals_per_rep
    r = np.repeat(np.arange(n_reps), deals_per_rep)
    day = rng.integers(0, months * 30, n)
    close = pd.to_datetime(START) + pd.to_timedelta(day, unit="D")
    seg = rng.choice(["SMB", "Mid-Market", "Enterprise"], n, p=[0.45, 0.3, 0.25])
    deal_type = rng.choice(["new", "renewal"], n, p=[0.7, 0.3])
    amount = np.round(rng.lognormal(np.select([seg == "SMB", seg == "Mid-Market"], [8.5, 9.5], 10.5), 0.6), 2)
    p = (0.40 + ability[r] + np.select([seg == "Mid-Market", seg == "Enterprise"], [-0.05, -0.10], 0.0)
         + np.where(deal_type == "renewal", 0.15, 0.0) + 0.004 * day / 30 - 0.02 * (np.log(amount) - 9.5))
    attempts = []
    for k, m in enumerate(messages.itertuples()):
        certifies = rng.random(n_reps) < 1 / (1 + np.exp(-(0.5 + 10 * ability)))
        certified_at = pd.Timestamp(m.launch_date) + pd.to_timedelta(
            rng.exponential(90 * np.exp(-8 * ability)).astype(int), unit="D") + pd.Timedelta(hours=10)
        for i in np.flatnonzero(certifies):
            attempts.append((f"a{k}-{i}-0", rep_ids[i], m.message_id, certified_at[i] - pd.Timedelta(days=3), 0.5, False))
            attempts.append((f"a{k}-{i}-1", rep_ids[i], m.message_id, certified_at[i], 0.9, True))
        in_scope = (close >= pd.Timestamp(m.launch_date)) & ((seg == m.target_segment) if pd.notna(m.target_segment) else True)
        adopted = in_scope & certifies[r] & (certified_at.normalize()[r] <= close)
        p = p + effects[m.message_id] * adopted
    won = rng.random(n) < np.clip(p, 0.02, 0.98)
    insert(con, "opportunities", pd.DataFrame({
        "opportunity_id": [f"o{i:07d}" for i in range(n)], "rep_id": rep_ids[r], "owner_name": rep_ids[r],
        "outcome": np.where(won, "won", "lost"), "is_closed": True, "is_won": won, "amount": amount,
        "close_date": close.date, "segment": seg, "deal_type": deal_type}))
    insert(con, "quiz_attempts", pd.DataFrame(
        attempts, columns=["attempt_id", "rep_id", "message_id", "attempted_at", "score", "passed"]))
    return con


def tiny_world(con, deals=(("o1", "r1", "won", "2024-03-01"), ("o2", "r1", "lost", "2024-05-01"),
                           ("o3", "r2", "won", "2024-05-02"), ("o4", "r2", "lost", "2024-02-01"),
                           ("o5", None, "won", "2024-05-03"))):
    """Two reps, five deals, one message launched 2024-04-01 that r1 passed on 2024-04-15."""
    insert(con, "reps", pd.DataFrame({"rep_id": ["r1", "r2"], "rep_name": ["One", "Two"], "team": ["a", "b"],
                                      "region": ["east", "west"], "in_roster": True}))
    insert(con, "messages", pd.DataFrame({"message_id": ["m"], "message_name": ["Message"],
                                          "launch_date": [date(2024, 4, 1)], "in_catalog": True}))
    insert(con, "opportunities", pd.DataFrame({
        "opportunity_id": [d[0] for d in deals], "rep_id": [d[1] for d in deals], "owner_name": "x",
        "outcome": [d[2] for d in deals], "is_closed": [d[2] != "open" for d in deals],
        "is_won": [d[2] == "won" for d in deals], "amount": 100.0,
        "close_date": [date.fromisoformat(d[3]) for d in deals], "segment": "SMB", "deal_type": "new"}))
    insert(con, "quiz_attempts", pd.DataFrame({"attempt_id": ["q1"], "rep_id": ["r1"], "message_id": ["m"],
                                               "attempted_at": [pd.Timestamp("2024-04-15 16:00")],
                                               "score": [0.9], "passed": [True]}))
    return con


def maven_placebo(con, manager, segment_column="regional_office"):
    """Maven's pipeline in the current tables; a fake message 'certified' by one manager's team at launch."""
    pipeline = pd.read_csv(MAVEN / "sales_pipeline.csv")
    teams = pd.read_csv(MAVEN / "sales_teams.csv")
    insert(con, "reps", pd.DataFrame({"rep_id": teams["sales_agent"], "rep_name": teams["sales_agent"],
                                      "manager": teams["manager"], "region": teams["regional_office"],
                                      "in_roster": True}))
    deals = pipeline.merge(teams, on="sales_agent", how="left")
    outcome = deals["deal_stage"].map({"Won": "won", "Lost": "lost"}).fillna("open")
    insert(con, "opportunities", pd.DataFrame({
        "opportunity_id": deals["opportunity_id"], "rep_id": deals["sales_agent"],
        "owner_name": deals["sales_agent"], "outcome": outcome, "is_closed": outcome != "open",
        "is_won": outcome == "won", "amount": deals["close_value"],
        "created_date": pd.to_datetime(deals["engage_date"]).dt.date,
        "close_date": pd.to_datetime(deals["close_date"]).dt.date, "segment": deals[segment_column],
        "product": deals["product"]}))
    insert(con, "messages", pd.DataFrame({"message_id": ["placebo"], "message_name": ["Placebo"],
                                          "launch_date": [MAVEN_LAUNCH], "in_catalog": True}))
    team = teams.loc[teams["manager"] == manager, "sales_agent"].to_numpy()
    insert(con, "quiz_attempts", pd.DataFrame({
        "attempt_id": [f"q{i}" for i in range(len(team))], "rep_id": team, "message_id": "placebo",
        "attempted_at": pd.Timestamp(MAVEN_LAUNCH), "score": 1.0, "passed": True}))
    return con


@pytest.fixture(scope="module")
def planted():
    con = planted_world(db.connect(":memory:"), n_reps=600)
    yield con, lift.message_lift(con, n_boot=200).set_index("message_id")
    con.close()


@pytest.fixture(scope="module")
def null_world():
    con = planted_world(db.connect(":memory:"), effects={m: 0.0 for m in PLANTED}, seed=1, n_reps=600)
    yield lift.message_lift(con, n_boot=200).set_index("message_id")
    con.close()


def test_adjusted_lift_recovers_every_planted_effect(planted):
    _, out = planted
    for message, effect in PLANTED.items():
        row = out.loc[message]
        error = row.adjusted_lift_pp - 100 * effect
        assert abs(error) <= 4, (message, row.adjusted_lift_pp)
        assert row.ci_low_pp <= 100 * effect <= row.ci_high_pp or abs(error) <= 3, message


def test_adjusted_lift_is_much_closer_to_the_truth_than_the_naive_one(planted):
    _, out = planted
    for message, effect in PLANTED.items():
        row = out.loc[message]
        naive_error = row.naive_lift_pp - 100 * effect
        assert naive_error > 5, message     # able reps certify first, so naive flatters every message
        assert abs(row.adjusted_lift_pp - 100 * effect) + 5 <= abs(naive_error), message


def test_the_message_that_hurts_gets_a_negative_lift_with_an_interval_below_zero(planted):
    _, out = planted
    row = out.loc["m_ent"]
    assert row.naive_lift_pp > 0
    assert row.adjusted_lift_pp < 0 and row.ci_high_pp < 0
    assert "less often" in row.summary


def test_a_world_without_effects_has_intervals_covering_zero_for_most_messages(null_world):
    covers = (null_world["ci_low_pp"] <= 0) & (null_world["ci_high_pp"] >= 0)
    assert covers.sum() >= 2
    assert null_world["adjusted_lift_pp"].abs().max() < 4
    assert (null_world["naive_lift_pp"] > 5).all()


def test_the_estimator_equals_an_explicit_least_squares_imputation():
    con = planted_world(db.connect(":memory:"), n_reps=40, deals_per_rep=30, seed=3)
    con.execute("UPDATE opportunities SET amount = NULL")
    deals = con.execute(lift.sql("queries/closed_deals.sql"), lift._params()).df()
    pairs = con.execute(lift.sql("queries/message_deals.sql"), {**lift._params(), "message_id": None}).df()
    pairs = pairs[pairs["is_in_scope"]]
    ids = ["m_open", "m_ent", "m_flat"]
    est = ImputationLift(n_boot=0).fit(deals, pairs, ids)

    adopted = pairs[pairs["is_adopted"]]
    D = np.zeros((len(deals), 3))
    row_of = pd.Series(np.arange(len(deals)), index=deals["deal_key"])
    D[row_of[adopted["deal_key"]].to_numpy(), pd.Index(ids).get_indexer(adopted["message_id"])] = 1
    month = pd.to_datetime(deals["close_date"]).dt.to_period("M").astype(str)
    X = pd.concat([pd.get_dummies(deals["rep_id"], dtype=float)]
                  + [pd.get_dummies(f, drop_first=True, dtype=float, prefix=name) for name, f in
                     (("month", month), ("segment", deals["segment"]), ("type", deals["deal_type"]))], axis=1)
    treated = D.sum(1) > 0
    control = ~treated
    y = deals["is_won"].to_numpy(float)
    beta, *_ = np.linalg.lstsq(X.to_numpy()[control], y[control], rcond=None)
    has_control = deals["rep_id"].isin(deals.loc[control, "rep_id"]).to_numpy()
    rows = treated & has_control
    residual = y[rows] - X.to_numpy()[rows] @ beta
    tau, *_ = np.linalg.lstsq(D[rows], residual, rcond=None)
    np.testing.assert_allclose(est.effects_, 100 * tau, atol=1e-6)


def test_tiny_data_is_insufficient_and_raises_no_warning():
    con = tiny_world(db.connect(":memory:"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = lift.message_lift(con, n_boot=50)
    row = out.iloc[0]
    assert row.evidence == "insufficient"
    assert (row.closed_deals_adopted, row.closed_deals_not_adopted) == (1, 1)
    assert row.win_rate_adopted == 0.0 and row.win_rate_not_adopted == 1.0
    assert row.summary.startswith("Not enough data")


def test_empty_databases_and_messages_without_deals_do_not_crash():
    con = db.connect(":memory:")
    assert lift.message_lift(con, n_boot=20).empty
    insert(con, "messages", pd.DataFrame({"message_id": ["m"], "message_name": ["M"],
                                          "launch_date": [date(2024, 1, 1)], "in_catalog": True}))
    row = lift.message_lift(con, n_boot=20).iloc[0]
    assert row.closed_deals_adopted == 0 and row.evidence == "insufficient"
    assert np.isnan(row.adjusted_lift_pp) and np.isnan(row.naive_lift_pp)
    assert "Not enough data" in row.summary
    assert lift.win_rate_over_time(con).empty
    assert lift.stratified_lift(con, by="ability_band").empty


def test_a_deal_is_adopted_only_when_its_owner_passed_on_or_before_the_close_date():
    con = tiny_world(db.connect(":memory:"), deals=(
        ("before_launch", "r1", "won", "2024-03-31"), ("before_pass", "r1", "won", "2024-04-14"),
        ("pass_day", "r1", "lost", "2024-04-15"), ("after", "r1", "won", "2024-06-01"),
        ("never_passed", "r2", "won", "2024-06-01"), ("still_open", "r1", "open", "2024-06-02"),
        ("no_owner", None, "won", "2024-06-03")))
    rows = con.execute(lift.sql("queries/message_deals.sql"),
                       {**lift._params(), "message_id": None}).df().set_index("opportunity_id")
    assert set(rows.index) == {"before_launch", "before_pass", "pass_day", "after", "never_passed"}
    assert rows["is_in_scope"].to_dict() == {"before_launch": False, "before_pass": True, "pass_day": True,
                                             "after": True, "never_passed": True}
    assert sorted(rows.index[rows["is_adopted"]]) == ["after", "pass_day"]


def test_a_targeted_message_only_sees_deals_in_its_segment():
    con = tiny_world(db.connect(":memory:"))
    con.execute("UPDATE messages SET target_segment = 'enterprise'")
    con.execute("UPDATE opportunities SET segment = 'Enterprise ' WHERE opportunity_id IN ('o2', 'o3')")
    rows = con.execute(lift.sql("queries/message_deals.sql"), {**lift._params(), "message_id": "m"}).df()
    assert sorted(rows["opportunity_id"]) == ["o2", "o3"]


def test_deals_closed_after_as_of_and_outside_the_filters_are_left_out():
    con = tiny_world(db.connect(":memory:"))
    assert lift.message_lift(con, as_of=date(2024, 5, 1), n_boot=20).iloc[0].closed_deals_not_adopted == 0
    assert lift.message_lift(con, teams=["b"], n_boot=20).iloc[0].closed_deals_adopted == 0
    assert lift.message_lift(con, regions=["east"], n_boot=20).iloc[0].closed_deals_not_adopted == 0
    assert lift.message_lift(con, date_to=date(2024, 3, 31), n_boot=20).iloc[0].closed_deals_adopted == 0


def test_a_hostile_filter_value_is_bound_not_executed():
    con = tiny_world(db.connect(":memory:"))
    hostile = "SMB' OR 1=1; DROP TABLE opportunities; --"
    out = lift.message_lift(con, segments=[hostile], teams=[hostile], n_boot=20)
    assert out.iloc[0].closed_deals_adopted == 0
    assert con.execute("SELECT count(*) FROM opportunities").fetchall()[0][0] == 5


def test_win_rate_counts_won_and_lost_only_and_never_divides_by_zero():
    assert win_rate(3, 1) == 0.75
    assert np.isnan(win_rate(0, 0))
    np.testing.assert_array_equal(win_rate([1, 0], [1, 0]), [0.5, np.nan])


@pytest.mark.parametrize("counts, interval, tier", [
    ((29, 500, 40, 40), (2.0, 6.0), "insufficient"),
    ((500, 500, 2, 40), (2.0, 6.0), "insufficient"),
    ((99, 500, 40, 40), (2.0, 6.0), "directional"),
    ((500, 500, 9, 40), (2.0, 6.0), "directional"),
    ((500, 500, 40, 40), (-1.0, 6.0), "directional"),
    ((100, 100, 10, 10), (1.0, 20.0), "moderate"),
    ((400, 400, 30, 30), (1.0, 12.0), "moderate"),
    ((400, 400, 30, 30), (3.0, 12.0), "strong"),
    ((400, 400, 30, 30), (-9.0, -2.0), "strong"),
    ((400, 400, 30, 30), (0.2, 6.8), "moderate"),             # clears zero, but only just
])
def test_evidence_tiers_follow_the_documented_thresholds(counts, interval, tier):
    lift_pp = sum(interval) / 2
    if tier == "strong":
        assert abs(lift_pp) >= 1.5 * (interval[1] - interval[0]) / 2
    assert evidence.evidence_tier(*counts, lift_pp, *interval) == tier


def test_no_interval_means_at_most_directional():
    assert evidence.evidence_tier(500, 500, 40, 40, 5.0, None, None) == "directional"
    assert evidence.evidence_tier(500, 500, 40, 40, None, None, None) == "insufficient"
    assert evidence.evidence_tier(500, 500, 40, 40, pd.NA, 1.0, 2.0) == "insufficient"


def test_both_estimators_apply_one_tier_rule_and_a_failed_check_caps_it_at_directional():
    assert evidence.evidence_tier is robust_lift.evidence_tier is settings.evidence_tier
    assert evidence.evidence_tier(400, 400, 30, 30, 7.5, 3.0, 12.0) == "strong"
    assert evidence.evidence_tier(400, 400, 30, 30, 7.5, 3.0, 12.0, capped=True) == "directional"
    assert evidence.evidence_tier(20, 400, 30, 30, 7.5, 3.0, 12.0, capped=True) == "insufficient"
    assert set(evidence.EVIDENCE_TIERS) | {"not separable"} == set(robust_lift.EVIDENCE_TIERS)


def test_the_sentence_gives_size_direction_interval_and_doubt():
    up = evidence.describe_lift({"adjusted_lift_pp": 6.2, "ci_low_pp": 2.1, "ci_high_pp": 10.4, "evidence": "moderate"})
    assert up == ("Deals by certified reps won 6 points more often than comparable deals "
                  "(likely between +2 and +10). Evidence: moderate.")
    unsure = evidence.describe_lift({"adjusted_lift_pp": 1.0, "ci_low_pp": -0.3, "ci_high_pp": 2.4,
                                 "evidence": "directional"})
    assert "1 point more often" in unsure and "-0.3" in unsure and "can't rule out no effect" in unsure
    down = evidence.describe_lift({"adjusted_lift_pp": -4.6, "ci_low_pp": -8.0, "ci_high_pp": -1.2,
                               "evidence": "strong"})
    assert "5 points less often" in down and "can't rule out" not in down


@pytest.mark.parametrize("manager", ["Cara Losch", "Celia Rouche", "Dustin Brinkmann", "Melvin Marxen",
                                     "Rocco Neubert", "Summer Sewald"])
def test_a_placebo_team_in_the_maven_crm_shows_no_meaningful_effect(manager):
    con = maven_placebo(db.connect(":memory:"), manager)
    row = lift.message_lift(con, n_boot=200).iloc[0]
    assert row.closed_deals_adopted > 300 and row.reps_adopted == 5
    assert row.ci_low_pp <= 0 <= row.ci_high_pp
    assert abs(row.adjusted_lift_pp) < 5
    assert row.evidence == "directional"     # five treated reps can never be more


def test_amount_is_left_out_when_the_crm_zeroes_lost_deals():
    con = maven_placebo(db.connect(":memory:"), "Cara Losch", segment_column="product")
    row = lift.message_lift(con, n_boot=20).iloc[0]
    assert "amount left out" in row.method


def test_a_rep_with_no_unadopted_deal_is_left_out_of_the_adjusted_estimate():
    con = tiny_world(db.connect(":memory:"), deals=(
        ("a1", "r1", "won", "2024-05-01"), ("a2", "r1", "won", "2024-05-02"),
        ("b1", "r2", "lost", "2024-05-01"), ("b2", "r2", "won", "2024-02-01")))
    con.execute("UPDATE quiz_attempts SET attempted_at = TIMESTAMP '2024-03-01 09:00'")
    row = lift.message_lift(con, n_boot=20).iloc[0]
    assert row.closed_deals_adopted == 2 and row.adjusted_deals == 0
    assert np.isnan(row.adjusted_lift_pp)


def test_the_interval_is_reproducible_for_a_seed(planted):
    con, out = planted
    again = lift.message_lift(con, n_boot=200).set_index("message_id")
    pd.testing.assert_frame_equal(out[["ci_low_pp", "ci_high_pp"]], again[["ci_low_pp", "ci_high_pp"]])


def test_the_stratified_table_shows_adopted_deals_concentrate_among_able_reps(planted):
    con, _ = planted
    table = lift.stratified_lift(con, "m_open", by="ability_band").set_index("stratum")
    assert list(table.index) == ["low", "middle", "high"]
    assert table.loc["high", "share_of_adopted"] > table.loc["high", "share_of_not_adopted"] + 0.15
    assert table["share_of_adopted"].sum() == pytest.approx(1.0)
    by_segment = lift.stratified_lift(con, "m_ent", by="segment")
    assert by_segment["stratum"].tolist() == ["Enterprise"]
    with pytest.raises(ValueError):
        lift.stratified_lift(con, by="segment; DROP TABLE reps")


def test_win_rate_over_time_splits_before_launch_adopted_and_not_adopted(planted):
    con, _ = planted
    series = lift.win_rate_over_time(con, "m_open")
    launch = pd.Timestamp(START + timedelta(days=180))
    assert set(series["group"]) == {"before launch", "adopted", "not adopted"}
    assert (series.loc[series["group"] == "adopted", "period"] >= launch.to_period("M").start_time).all()
    assert series["deals"].sum() == con.execute(
        "SELECT count(*) FROM opportunities WHERE outcome IN ('won', 'lost')").fetchall()[0][0]
    assert (series["win_rate"].between(0, 1)).all()


def test_counts_made_in_sql_equal_counting_every_deal(planted):
    con, _ = planted
    deals = pd.DataFrame(lift.fetch(con, "queries/message_deals", {**lift._params(), "message_id": None}))[
        ["message_id", "rep_id", "segment", "close_date", "is_in_scope", "is_adopted", "is_won"]]
    series = lift.win_rate_over_time(con, freq="week")
    deals["period"] = pd.to_datetime(deals["close_date"]).dt.to_period("W-MON").dt.start_time
    deals["group"] = np.where(~deals["is_in_scope"], "before launch",
                              np.where(deals["is_adopted"], "adopted", "not adopted"))
    want = deals.groupby(["message_id", "period", "group"]).agg(deals=("is_won", "size"), won=("is_won", "sum"))
    got = series.set_index(["message_id", "period", "group"])[["deals", "won"]]
    pd.testing.assert_frame_equal(got, want, check_dtype=False)

    closed = pd.DataFrame(lift.fetch(con, "queries/closed_deals", lift._params()))[["rep_id", "close_date", "is_won"]]
    ability = lift.rep_ability(con).set_index(["message_id", "rep_id"])
    for m in lift._messages(con).itertuples():
        pre = closed[pd.to_datetime(closed["close_date"]) < pd.Timestamp(m.launch_date)].groupby("rep_id")
        mine = ability.loc[m.message_id]
        assert (mine["pre_deals"] == pre.size().loc[mine.index]).all()
        assert (mine["pre_won"] == pre["is_won"].sum().loc[mine.index]).all()
        assert len(mine) == pre.ngroups


def test_both_strata_from_one_count_equal_each_stratum_alone(planted):
    con, _ = planted
    for message_id in (None, "m_open", "m_ent"):
        together = lift.strata(con, message_id, ("segment", "ability_band"), as_of=date(2025, 12, 1))
        alone = pd.concat([lift.stratified_lift(con, message_id, by, as_of=date(2025, 12, 1))
                           for by in ("segment", "ability_band")], ignore_index=True)
        pd.testing.assert_frame_equal(together, alone)
    with pytest.raises(ValueError):
        lift.strata(con, None, ("segment", "team"))


def test_rare_segments_are_pooled_so_the_model_stays_small():
    codes, levels = _codes(np.array(list("aabbbcd"), dtype=object), max_levels=2)
    assert levels == 2
    assert codes.tolist() == [1, 1, 0, 0, 0, 1, 1]      # b is commonest; a, c and d share a level


def test_a_deal_without_a_segment_is_its_own_stratum():
    con = tiny_world(db.connect(":memory:"))
    con.execute("UPDATE opportunities SET segment = NULL WHERE opportunity_id = 'o2'")
    table = lift.stratified_lift(con, by="segment")
    assert sorted(table["stratum"]) == ["(none)", "SMB"]
    assert table["deals_adopted"].sum() + table["deals_not_adopted"].sum() == 2


# ------------------------------------------------------------------------------------------ list filters and rep scope

SMALL = {"n_reps": 120, "deals_per_rep": 40, "seed": 5}
SCOPE_MANAGER = "Boss team3"


def small_world():
    """The planted world, small, with one manager per team (so a manager's scope is a team's reps)."""
    con = planted_world(db.connect(":memory:"), **SMALL)
    con.execute("UPDATE reps SET manager = 'Boss ' || team")
    return con


def scope_reps(con) -> tuple[str, ...]:
    """A manager's own reps, as access control computes them."""
    return auth.visible_rep_ids(con, auth.User("boss@example.com", "manager", "oidc", SCOPE_MANAGER))


def restricted_world(keep):
    """The same small world with every deal removed that `keep(deals)` (a boolean Series) does not keep."""
    con = small_world()
    deals = con.execute("SELECT o.opportunity_id, o.rep_id, o.segment, o.close_date, r.team, r.region, r.manager "
                        "FROM opportunities o LEFT JOIN reps r USING (rep_id)").df()
    drop = deals.loc[~keep(deals).to_numpy(bool), ["opportunity_id"]]
    con.register("dropped", drop)
    con.execute("DELETE FROM opportunities WHERE opportunity_id IN (SELECT opportunity_id FROM dropped)")
    con.unregister("dropped")
    return con


def close_between(deals, start, end):
    close = pd.to_datetime(deals["close_date"])
    return (close >= pd.Timestamp(start)) & (close <= pd.Timestamp(end))


# name -> (lift keyword filters, or "scope" for the manager's reps; the same restriction as a pandas predicate)
RESTRICTIONS = {
    "two teams": ({"teams": ("team1", "team2")}, lambda d: d["team"].isin(["team1", "team2"])),
    "two segments, any case": ({"segments": ("smb", " Enterprise")},
                               lambda d: d["segment"].isin(["SMB", "Enterprise"])),
    "one region": ({"regions": ["east"]}, lambda d: d["region"] == "east"),
    "two managers": ({"managers": ("Boss team0", "Boss team3")},
                     lambda d: d["manager"].isin(["Boss team0", "Boss team3"])),
    "a manager's rep scope": ("scope", lambda d: d["manager"] == SCOPE_MANAGER),
    "a date range": ({"date_from": date(2024, 8, 1), "date_to": date(2025, 5, 31)},
                     lambda d: close_between(d, "2024-08-01", "2025-05-31")),
    "everything at once": ({"teams": ("team0", "team1", "team3"), "regions": ("east",),
                            "segments": ("SMB", "Mid-Market"), "date_from": date(2024, 3, 1),
                            "as_of": date(2025, 9, 30)},
                           lambda d: d["team"].isin(["team0", "team1", "team3"]) & (d["region"] == "east")
                           & d["segment"].isin(["SMB", "Mid-Market"]) & close_between(d, "2024-03-01", "2025-09-30")),
}


@pytest.fixture(scope="module")
def small():
    con = small_world()
    yield con
    con.close()


@pytest.mark.parametrize("name", list(RESTRICTIONS))
def test_a_filtered_estimate_equals_the_estimate_on_a_database_holding_only_those_deals(small, name):
    filters, keep = RESTRICTIONS[name]
    if filters == "scope":
        filters = {"rep_ids": scope_reps(small)}
    only = restricted_world(keep)
    assert only.execute("SELECT count(*) FROM opportunities").fetchone()[0] < 120 * 40
    got = lift.message_lift(small, n_boot=40, **filters)
    want = lift.message_lift(only, n_boot=40)
    assert got["closed_deals_adopted"].sum() > 0
    pd.testing.assert_frame_equal(got, want, check_exact=False, rtol=1e-9, atol=1e-9)
    rest = {k: v for k, v in filters.items() if k != "as_of"}
    as_of = filters.get("as_of")
    pd.testing.assert_frame_equal(lift.win_rate_over_time(small, "m_open", as_of=as_of, **rest),
                                  lift.win_rate_over_time(only, "m_open", as_of=as_of))
    pd.testing.assert_frame_equal(lift.stratified_lift(small, "m_open", by="ability_band", **filters),
                                  lift.stratified_lift(only, "m_open", by="ability_band"))
    only.close()


def test_two_teams_count_the_union_of_each_teams_deals(small):
    both = lift.message_lift(small, teams=["team1", "team2"], n_boot=0).set_index("message_id")
    one = lift.message_lift(small, teams=["team1"], n_boot=0).set_index("message_id")
    other = lift.message_lift(small, teams=["team2"], n_boot=0).set_index("message_id")
    for column in ("closed_deals_adopted", "closed_deals_not_adopted", "won_adopted", "won_not_adopted",
                   "reps_adopted", "reps_not_adopted"):
        pd.testing.assert_series_equal(both[column], one[column] + other[column])
    assert (one["closed_deals_not_adopted"] > 0).all() and (other["closed_deals_not_adopted"] > 0).all()


def test_a_managers_rep_scope_counts_no_other_reps_deal(small):
    scope = scope_reps(small)
    assert 0 < len(scope) < 120
    before = lift.message_lift(small, rep_ids=scope, n_boot=40)
    trend = lift.win_rate_over_time(small, "m_open", rep_ids=scope)
    theirs = small.execute("SELECT count(*) FROM opportunities WHERE rep_id IN (SELECT unnest($s::VARCHAR[]))",
                           {"s": list(scope)}).fetchone()[0]
    assert trend["deals"].sum() == theirs
    assert set(lift.rep_ability(small, rep_ids=scope)["rep_id"]) <= set(scope)
    assert (before["reps_adopted"] <= len(scope)).all() and (before["reps_not_adopted"] <= len(scope)).all()
    # Other reps' deals all turned to wins (adopted or control alike) must change nothing in the scoped estimate.
    small.execute("CREATE TEMP TABLE saved AS SELECT opportunity_id, outcome FROM opportunities")
    try:
        small.execute("UPDATE opportunities SET outcome = 'won' WHERE rep_id NOT IN (SELECT unnest($s::VARCHAR[]))",
                      {"s": list(scope)})
        after = lift.message_lift(small, rep_ids=scope, n_boot=40)
        assert lift.message_lift(small, n_boot=0)["won_not_adopted"].sum() > before["won_not_adopted"].sum()
    finally:
        small.execute("UPDATE opportunities o SET outcome = s.outcome FROM saved s "
                      "WHERE s.opportunity_id = o.opportunity_id")
        small.execute("DROP TABLE saved")
    pd.testing.assert_frame_equal(before, after, check_exact=False, rtol=1e-9, atol=1e-9)


def test_an_empty_rep_scope_counts_nothing_while_no_scope_counts_everyone(small):
    nothing = lift.message_lift(small, rep_ids=(), n_boot=0)
    assert (nothing["closed_deals_adopted"] + nothing["closed_deals_not_adopted"] == 0).all()
    assert lift.win_rate_over_time(small, rep_ids=()).empty
    everyone = lift.message_lift(small, rep_ids=None, n_boot=0)
    assert (everyone["closed_deals_not_adopted"] > 0).all()


@pytest.mark.parametrize("name", ["segments", "teams", "regions", "managers", "rep_ids"])
def test_a_hostile_string_in_a_list_is_bound_and_only_matches_nothing(small, name):
    hostile = "x') OR 1=1; DROP TABLE opportunities; --"
    kept = {"segments": "SMB", "teams": "team1", "regions": "east", "managers": "Boss team1",
            "rep_ids": "r0001"}[name]
    alone = lift.message_lift(small, n_boot=0, **{name: [hostile]})
    assert (alone["closed_deals_adopted"] + alone["closed_deals_not_adopted"] == 0).all()
    mixed = lift.message_lift(small, n_boot=0, **{name: [hostile, kept]})
    pd.testing.assert_frame_equal(mixed, lift.message_lift(small, n_boot=0, **{name: [kept]}))
    assert small.execute("SELECT count(*) FROM opportunities").fetchone()[0] == 120 * 40


def test_a_single_value_and_a_list_for_the_same_filter_are_refused_and_so_are_unknown_filters(small):
    with pytest.raises(TypeError, match="'team'"):         # one-value keywords are refused altogether
        lift.message_lift(small, team="team1", teams=["team2"], n_boot=0)
    with pytest.raises(TypeError, match="unknown filters"):
        lift.win_rate_over_time(small, "m_open", manager="Boss team1")
    single = lift.message_lift(small, teams=["team1"], segments=["SMB"], n_boot=0)
    pd.testing.assert_frame_equal(single, lift.message_lift(small, teams=("team1",), segments=("SMB",), n_boot=0))
