"""Retention (memory model): planted forgetting laws are followed, nothing leaks from the future, every pair is
listed, the reinforcement list is due-then-overdue by stake."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

import analytics.db
from analytics.demo import expected_score
from analytics.estimators import fsrs_law, memory_eval
from analytics.estimators import memory_features as mf
from analytics.estimators.memory import NotEnoughHistory
from analytics.views import forgetting, practice

START = pd.Timestamp("2025-01-01")


def simulate(n_reps=60, n_messages=4, seed=0, base_half_life=4.0, boost_per_success=2.0, floor=0.25,
             n_questions=20, message_factor=None, first_score=0.9, gaps=None):
    """Quiz attempts from a planted law: p = floor + (1-floor) 2^(-gap/h), h = h0 * factor(message) * boost^successes."""
    rng = np.random.default_rng(seed)
    factor = message_factor or [1.0] * n_messages
    rows = []
    for r in range(n_reps):
        for m in range(n_messages):
            t = rng.uniform(0, 60)
            n_successes, last = 0, None
            for k in range(int(rng.integers(2, 8)) if gaps is None else len(gaps) + 1):
                if last is None:
                    p = first_score
                else:
                    half_life = base_half_life * factor[m] * boost_per_success ** n_successes
                    p = floor + (1 - floor) * 2.0 ** (-(t - last) / half_life)
                score = rng.binomial(n_questions, p) / n_questions
                rows.append((f"R{r:03d}", f"M{m}", START + pd.Timedelta(days=t), score))
                n_successes += score >= 0.8
                last = t
                if gaps is None:
                    t += float(np.exp(rng.uniform(np.log(0.5), np.log(60))))
                elif k < len(gaps):
                    t += gaps[k]
    attempts = pd.DataFrame(rows, columns=["rep_id", "message_id", "attempted_at", "score"])
    attempts["passed"] = attempts["score"] >= 0.8
    attempts = attempts.sort_values("attempted_at", kind="stable").reset_index(drop=True)
    attempts.insert(0, "attempt_id", [f"A{i:06d}" for i in range(len(attempts))])
    return attempts


def database(attempts, extra_reps=(), extra_messages=()):
    """A real in-memory Huddle database holding these attempts, their reps and messages."""
    con = analytics.db.connect(":memory:")
    rep_ids = sorted(set(attempts["rep_id"].dropna())) + list(extra_reps)
    reps = pd.DataFrame({"rep_id": rep_ids, "rep_name": [f"Rep {r}" for r in rep_ids],
                         "rep_email": [f"{r.lower()}@example.com" for r in rep_ids],
                         "team": ["East" if i % 2 else "West" for i in range(len(rep_ids))],
                         "manager": "Morgan"})
    message_ids = sorted(set(attempts["message_id"].dropna())) + list(extra_messages)
    messages = pd.DataFrame({"message_id": message_ids, "message_name": [f"Message {m}" for m in message_ids]})
    con.register("new_reps", reps)
    con.register("new_messages", messages)
    con.register("new_attempts", attempts)
    con.execute("INSERT INTO reps (rep_id, rep_name, rep_email, team, manager, in_roster) "
                "SELECT rep_id, rep_name, rep_email, team, manager, true FROM new_reps")
    con.execute("INSERT INTO messages (message_id, message_name, in_catalog) "
                "SELECT message_id, message_name, true FROM new_messages")
    con.execute("INSERT INTO quiz_attempts (attempt_id, rep_id, message_id, module, attempted_at, score, passed) "
                "SELECT attempt_id, rep_id, message_id, 'quiz', attempted_at, score, passed FROM new_attempts")
    return con


@pytest.fixture(scope="module")
def planted():
    return simulate(n_reps=80, seed=1)


@pytest.fixture(scope="module")
def planted_model(planted):
    return practice.fit(planted)


# ------------------------------------------------------------------------------ planted answers

def with_planted_truth(model, attempts, message_factor=(1.0, 1.0, 1.0, 1.0), base_half_life=4.0):
    """Each repeat attempt's in-sample forecast (memory_eval.retests) beside simulate()'s planted expected score."""
    retests = memory_eval.retests(model, attempts)
    a = mf.prepare(attempts, 0.8)
    passed = pd.Series(a.is_pass.astype(int))
    successes = (passed.groupby(a.pair).cumsum() - passed).to_numpy()[retests["row"].to_numpy()]
    factor = retests["message_id"].map({f"M{i}": f for i, f in enumerate(message_factor)}).to_numpy()
    half_life = base_half_life * factor * 2.0 ** successes
    return retests.assign(n_successes=successes,
                          truth=0.25 + 0.75 * 2.0 ** (-retests["days_since_last_practice"] / half_life))


def test_the_fitted_forecast_follows_the_planted_forgetting_law_and_its_doubling_per_success(planted, planted_model):
    rows = with_planted_truth(planted_model, planted)
    error = (rows["fitted_score"] - rows["truth"]).abs()
    noise = (rows["score"] - rows["truth"]).abs()            # the binomial noise of one 20-question quiz
    assert error.mean() < 0.04 and error.mean() < 0.6 * noise.mean()
    for successes, group in rows.groupby("n_successes"):
        if len(group) >= 50:                                 # 0 to 4 successes: the law doubles h each time
            assert abs((group["fitted_score"] - group["truth"]).mean()) < 0.02, successes


def test_a_harder_message_is_given_a_shorter_half_life_and_follows_its_own_curve():
    factor = [0.5, 1.0, 1.0, 2.0]
    attempts = simulate(n_reps=80, seed=2, message_factor=factor)
    model = practice.fit(attempts)
    half_life = model.tidy().set_index("message_id")["half_life_days_after_first_pass"]
    assert half_life["M0"] < 0.8 * half_life["M1"] and half_life["M3"] > 1.2 * half_life["M1"]
    rows = with_planted_truth(model, attempts, factor)
    bias = rows.assign(e=rows["fitted_score"] - rows["truth"]).groupby("message_id")["e"].mean()
    assert (bias.abs() < 0.03).all(), bias


def test_the_model_beats_both_baselines_on_generated_data():
    result = practice.evaluate(simulate(n_reps=80, seed=3))
    assert result["n_test"] >= 100
    assert result["mae_model"] < 0.7 * result["mae_last_score"]
    assert result["mae_model"] < 0.7 * result["mae_mean_score"]


def test_the_model_is_calibrated_on_generated_data():
    calibration = practice.evaluate(simulate(n_reps=120, seed=4))["score_calibration"]
    model = calibration[calibration["predictor"] == "memory"]
    gap = np.average((model["predicted_mean"] - model["observed_mean"]).abs(), weights=model["n"])
    last = calibration[calibration["predictor"] == "last_outcome"]
    last_gap = np.average((last["predicted_mean"] - last["observed_mean"]).abs(), weights=last["n"])
    assert gap < 0.05
    assert gap < last_gap / 3


def test_evaluation_defaults_to_the_time_of_eighty_percent_of_attempts(planted):
    result = practice.evaluate(planted)
    assert result["cutoff"] == memory_eval.default_cutoff(planted)
    assert result["n_train"] == (planted["attempted_at"] < result["cutoff"]).sum()
    assert result["n_train"] == pytest.approx(0.8 * len(planted), abs=2)
    assert set(result) >= {"cutoff", "n_train", "n_test", "mae_model", "mae_last_score", "mae_mean_score",
                           "calibration", "metrics"}
    assert set(result["metrics"]["predictor"]) == {"memory", "fsrs6_default", "last_outcome", "mean"}


def test_evaluation_runs_on_the_quiz_attempts_table_of_a_database(planted):
    with_nulls = pd.concat([planted, pd.DataFrame({
        "attempt_id": ["U1", "U2"], "rep_id": [None, "R001"], "message_id": ["M0", "M0"],
        "attempted_at": [START, START], "score": [0.5, None], "passed": [False, None]})], ignore_index=True)
    con = database(with_nulls)
    assert practice.evaluate(con)["n_train"] == practice.evaluate(planted)["n_train"]


def test_share_forgotten_after_thirty_days_is_measured_from_the_data():
    # Every rep re-takes every quiz exactly 30 days after a first score of 0.9; h = 10 days, floor 0.25.
    attempts = simulate(n_reps=100, seed=5, base_half_life=10.0, boost_per_success=1.0, gaps=[30.0],
                        n_questions=50)
    forgotten = forgetting.forgotten_after(attempts, days=30).set_index("message_id")
    truth = 1 - (0.25 + 0.75 * 2 ** -3) / 0.9
    assert forgotten["share_forgotten"].to_numpy() == pytest.approx(np.full(4, truth), abs=0.03)
    assert forgotten["n_attempts"].between(95, 100).all()  # retests of the first attempts that passed
    assert (forgotten["folk_share_forgotten"] == 0.9).all()


def test_fitted_and_measured_thirty_day_forgetting_agree_where_the_law_holds_and_say_which_to_believe():
    attempts = simulate(n_reps=100, seed=5, base_half_life=10.0, boost_per_success=1.0, gaps=[30.0],
                        n_questions=50)
    forgotten = forgetting.forgotten_after(attempts, days=30).set_index("message_id")
    assert forgotten["fitted_share_forgotten"].to_numpy() == pytest.approx(forgotten["share_forgotten"], abs=0.03)
    assert (forgotten["believe"] == "agree").all()
    # The same law, except that one message is forgotten four times faster than the model learned it: that
    # message's own retests disagree with the model's forecast of them, so the measured figure is the one to believe.
    model = practice.fit(attempts)
    fast = simulate(n_reps=100, seed=8, base_half_life=10.0, boost_per_success=1.0, gaps=[30.0], n_questions=50,
                    message_factor=[1.0, 1.0, 1.0, 0.25])
    lost = forgetting.forgotten_after(fast, days=30, model=model).set_index("message_id")
    assert lost.loc["M3", "believe"] == "measured"
    assert lost.loc["M3", "share_forgotten"] > lost.loc["M3", "fitted_share_forgotten"] + 0.05
    assert (lost.loc[["M0", "M1", "M2"], "believe"] == "agree").all()
    few = forgetting.forgotten_after(fast, days=30, model=model, min_attempts=1000)
    assert (few["believe"] == "fitted").all() and few["share_forgotten"].isna().all()


def test_forgetting_curve_falls_with_time_and_the_fit_follows_it(planted, planted_model):
    curve = forgetting.forgetting_curve(planted, model=planted_model)
    assert set(curve["message_id"]) == {"M0", "M1", "M2", "M3"}
    for _, one in curve.groupby("message_id"):
        assert one["observed_score"].iloc[0] > one["observed_score"].iloc[-1] + 0.3
        assert np.average((one["observed_score"] - one["fitted_score"]).abs(), weights=one["n_attempts"]) < 0.04
    only = forgetting.forgetting_curve(planted, message_id="M2", model=planted_model)
    assert set(only["message_id"]) == {"M2"}


# ------------------------------------------------------------------------------ no leakage

def test_features_come_only_from_strictly_earlier_attempts():
    t = pd.Timestamp("2025-03-01 09:00")
    attempts = pd.DataFrame({
        "attempt_id": ["a", "b", "c", "d", "e"],
        "rep_id": ["R1", "R1", "R1", "R1", "R1"],
        "message_id": ["M1", "M2", "M1", "M2", "M1"],
        "attempted_at": [t, t, t + pd.Timedelta(days=2), t + pd.Timedelta(days=2), t + pd.Timedelta(days=5)],
        "score": [0.9, 0.5, 0.6, 0.7, 1.0],
    })
    a = mf.prepare(attempts, 0.8)
    features = mf.row_features(a, pass_rate=0.5).set_index(attempts["attempt_id"])
    assert features.loc["a", "n_prior"] == 0 and math.isnan(features.loc["a", "last_score"])
    # b happened at the same moment as a: the rep's history before b is empty.
    assert features.loc["b", "rep_n_prior"] == 0
    assert features.loc["c", ["n_prior", "n_prior_fail"]].tolist() == [1, 0]
    assert features.loc["c", "last_score"] == 0.9
    assert features.loc["c", "rep_n_prior"] == 2 and features.loc["c", "rep_pass_prior"] == 1
    assert features.loc["e", ["n_prior", "n_prior_fail"]].tolist() == [2, 1]
    assert features.loc["e", "rep_n_prior"] == 4 and features.loc["e", "rep_pass_prior"] == 1
    states = mf.row_states(a, mf.walk(a, fsrs_law.DEFAULT_PARAMETERS)).set_index("row")
    e = int(np.flatnonzero(attempts["attempt_id"] == "e")[0])
    assert states.loc[e, "last_practiced_at"] == t + pd.Timedelta(days=2)      # c, not e itself
    assert states.loc[e, "last_score"] == 0.6


def test_changing_or_deleting_attempts_after_a_time_changes_nothing_before_it(planted, planted_model):
    t = planted["attempted_at"].quantile(0.6)
    later = planted["attempted_at"] > t
    rng = np.random.default_rng(7)
    future = planted[later].sample(frac=0.7, random_state=3).copy()
    future["score"] = rng.permutation(future["score"].to_numpy())
    future["attempted_at"] = rng.permutation(future["attempted_at"].to_numpy())
    altered = pd.concat([future, planted[~later]]).reset_index(drop=True)

    def up_to_t(frame):
        a = mf.prepare(frame, 0.8)
        early = a.times <= pd.Timestamp(t).value
        return mf.row_features(a, 0.5)[early].reset_index(drop=True), mf.walk(a, planted_model.parameters_)["S"][early]

    (before, s_before), (after, s_after) = up_to_t(planted), up_to_t(altered)
    pd.testing.assert_frame_equal(before, after)
    np.testing.assert_array_equal(s_before, s_after)
    state = planted_model.states(planted, t).sort_values(["rep_id", "message_id"]).reset_index(drop=True)
    altered_state = planted_model.states(altered, t).sort_values(["rep_id", "message_id"]).reset_index(drop=True)
    pd.testing.assert_frame_equal(state, altered_state)
    day = pd.Timestamp(t).normalize()
    pd.testing.assert_frame_equal(planted_model.predict(state, [day]), planted_model.predict(altered_state, [day]))


def test_the_state_before_an_attempt_holds_that_attempts_features(planted, planted_model):
    a = mf.prepare(planted, 0.8)
    rows = mf.row_states(a, mf.walk(a, planted_model.parameters_))
    target = rows[rows["n_attempts"] >= 2].iloc[len(rows) // 4]
    at = a.frame["attempted_at"].iloc[int(target["row"])]
    state = planted_model.states(planted, at)
    row = state[(state["rep_id"] == target["rep_id"]) & (state["message_id"] == target["message_id"])].iloc[0]
    for column in ("n_attempts", "n_fail", "last_score", "last_practiced_at", "rep_n_attempts", "rep_n_pass"):
        assert row[column] == target[column], column
    assert (row["stability"], row["difficulty"]) == pytest.approx((target["stability"], target["difficulty"]))


def test_the_evaluation_model_is_fitted_on_training_attempts_only(planted):
    cutoff = planted["attempted_at"].quantile(0.7)
    result = practice.evaluate(planted, cutoff=cutoff)
    scrambled = planted.copy()
    later = scrambled["attempted_at"] >= cutoff
    scrambled.loc[later, "score"] = 1.0 - scrambled.loc[later, "score"]
    other = practice.evaluate(scrambled, cutoff=cutoff)
    np.testing.assert_array_equal(result["model"].parameters_, other["model"].parameters_)
    assert result["model"].fingerprint == other["model"].fingerprint
    assert result["n_test"] == other["n_test"]


# ------------------------------------------------------------------------------ forecast

@pytest.fixture(scope="module")
def forecast_db(planted):
    one_attempt = pd.DataFrame({"attempt_id": ["ONE"], "rep_id": ["R-one"], "message_id": ["M0"],
                                "attempted_at": [pd.Timestamp("2025-04-01 10:00")], "score": [0.85],
                                "passed": [True]})
    unmatched = pd.DataFrame({"attempt_id": ["X1", "X2"], "rep_id": [None, "R000"], "message_id": ["M0", "M0"],
                              "attempted_at": [pd.Timestamp("2025-04-01")] * 2, "score": [0.4, None],
                              "passed": [False, None]})
    attempts = pd.concat([planted, one_attempt, unmatched], ignore_index=True)
    return database(attempts, extra_reps=["R-never"], extra_messages=["x'); DROP TABLE reps; --"])


def test_forecast_lists_every_rep_and_message_on_every_date(forecast_db):
    dates = [pd.Timestamp("2025-04-10").date(), pd.Timestamp("2025-05-10").date()]
    out = forgetting.forecast(forecast_db, dates)
    n_reps = forecast_db.execute("SELECT count(*) FROM reps").fetchone()[0]
    n_messages = forecast_db.execute("SELECT count(*) FROM messages").fetchone()[0]
    assert list(out.columns[:10]) == ["rep_email", "rep_name", "team", "message", "on_date", "expected_score",
                                      "half_life_days", "last_practiced", "n_attempts", "reinforce_by"]
    assert len(out) == n_reps * n_messages * 2
    assert not out.duplicated(["rep_id", "message_id", "on_date"]).any()


def test_never_trained_pairs_are_listed_with_null_scores(forecast_db, planted_model):
    out = forgetting.forecast(forecast_db, [pd.Timestamp("2025-04-10").date()], model=planted_model)
    never = out[(out["rep_id"] == "R-never") | (out["message_id"].str.startswith("x'"))]
    assert len(never) > 0
    assert never["expected_score"].isna().all() and never["half_life_days"].isna().all()
    assert never["last_practiced"].isna().all() and never["reinforce_by"].isna().all()
    assert (never["n_attempts"] == 0).all()
    trained = out[out["n_attempts"] > 0]
    assert trained["expected_score"].between(0, 1).all()
    assert (trained["half_life_days"] > 0).all()


def test_a_rep_with_one_attempt_gets_a_sensible_forecast(forecast_db, planted_model):
    # R-one is unknown to the model: it gets the average rep's half-life.
    dates = [pd.Timestamp(d).date() for d in ("2025-04-01", "2025-04-15", "2025-07-01")]
    out = forgetting.forecast(forecast_db, dates, model=planted_model)
    one = out[(out["rep_id"] == "R-one") & (out["message_id"] == "M0")].sort_values("on_date")
    assert (one["n_attempts"] == 1).all()
    assert one["last_practiced"].eq(pd.Timestamp("2025-04-01")).all()
    scores = one["expected_score"].to_numpy()
    assert np.isfinite(scores).all() and 0 < scores[-1] < scores[1] < scores[0] <= 1
    assert one["reinforce_by"].iloc[0] > pd.Timestamp("2025-04-01")
    others = out[(out["rep_id"] == "R-one") & (out["message_id"] != "M0")]
    assert others["expected_score"].isna().all()


def test_a_forecast_on_a_date_uses_only_attempts_up_to_that_date(planted, planted_model):
    day = pd.Timestamp("2025-03-15")
    full = forgetting.forecast(database(planted), [day.date()], model=planted_model)
    past = forgetting.forecast(database(planted[planted["attempted_at"] < day + pd.Timedelta(days=1)]),
                              [day.date()], model=planted_model)
    pd.testing.assert_frame_equal(full, past)
    practiced = full[full["n_attempts"] > 0]
    assert (practiced["last_practiced"] <= day).all()


def test_reinforce_by_is_the_first_day_the_expected_score_is_below_target(planted, planted_model):
    day = pd.Timestamp("2025-03-01")
    state = planted_model.states(planted, day)
    predicted = planted_model.predict(state, [day])
    assert planted_model.target == 0.8 and predicted["reinforce_by"].notna().all()
    days = (predicted["reinforce_by"] - predicted["last_practiced"]).dt.days.to_numpy(dtype=float)
    last = pd.to_datetime(state["last_practiced_at"])       # + whole days: the calendar-day gaps of predict()
    on = planted_model.predict_at(state, last + pd.to_timedelta(days, unit="D"))[1]
    before = planted_model.predict_at(state, last + pd.to_timedelta(days - 1, unit="D"))[1]
    assert (on < 0.8).all()
    assert ((before >= 0.8) | (days == 0)).all()
    assert (days > 0).sum() > 50
    # A perfect score is never expected to last; a target at the fitted guessing floor is never missed (no date).
    strict = replace(planted_model, target=1.0).predict(state, [day])
    assert (strict["reinforce_by"] == strict["last_practiced"]).all()
    never = replace(planted_model, target=planted_model.score_head_.floor).predict(state, [day])
    assert never["reinforce_by"].isna().all() and never["is_beyond_horizon"].all()


def test_the_reinforcement_list_holds_pairs_due_within_the_week(forecast_db, planted_model):
    today = pd.Timestamp("2025-04-10")
    due = forgetting.reinforcement_list(forecast_db, today.date(), model=planted_model)
    everything = forgetting.forecast(forecast_db, [today.date()], model=planted_model)
    expected = everything[(everything["n_attempts"] > 0)
                          & (everything["reinforce_by"] <= today + pd.Timedelta(days=7))]
    assert len(due) == len(expected) > 0
    assert (due["days_left"] <= 7).all()
    assert due["expected_score"].notna().all()
    # due this week (crossing the target within 7 days, soonest first), then the overdue (already below target)
    assert set(due["status"]) == {"due this week", "overdue"}
    this_week = due["status"] == "due this week"
    assert due["days_left"][this_week].between(0, 7).all() and (due["days_left"][~this_week] < 0).all()
    assert this_week.iloc[:this_week.sum()].all()
    assert due.loc[this_week, "days_left"].is_monotonic_increasing


def test_share_above_target_counts_untrained_reps_as_below(forecast_db, planted_model):
    day = pd.Timestamp("2025-04-02").date()
    trend = forgetting.share_above_target(forecast_db, [day], model=planted_model).set_index("message_id")
    scores = forgetting.forecast(forecast_db, [day], model=planted_model)
    m0 = scores[scores["message_id"] == "M0"]
    assert trend.loc["M0", "n_reps"] == len(m0)
    assert trend.loc["M0", "n_above"] == (m0["expected_score"] >= 0.8).sum()
    assert trend.loc["x'); DROP TABLE reps; --", "share_above"] == 0


def test_a_database_with_too_little_history_still_lists_every_pair():
    attempts = simulate(n_reps=3, n_messages=2, seed=8).groupby(["rep_id", "message_id"]).head(1)
    out = forgetting.forecast(database(attempts, extra_reps=["R-never"]), [pd.Timestamp("2025-06-01").date()])
    assert len(out) == 4 * 2
    assert out["expected_score"].isna().all()
    assert (out.loc[out["rep_id"] != "R-never", "n_attempts"] == 1).all()
    with pytest.raises(NotEnoughHistory):
        practice.fit(attempts)


def test_an_empty_database_gives_an_empty_forecast():
    out = forgetting.forecast(analytics.db.connect(":memory:"), [pd.Timestamp("2025-06-01").date()])
    assert out.empty and list(out.columns) == forgetting.FORECAST_COLUMNS


# ------------------------------------------------------------------------------ demo world

def test_the_model_beats_both_baselines_on_the_demo_world(demo_con):
    result = practice.evaluate(demo_con)
    assert result["n_test"] >= 200
    assert result["mae_model"] < 0.75 * result["mae_last_score"]
    assert result["mae_model"] < 0.5 * result["mae_mean_score"]


def test_fit_recovers_the_demo_worlds_planted_forgetting_law(demo_con, demo_world):
    # The demo's law: score = floor + scale * 2^(-gap / h), h = h0 * 2^(successes since certification) * e^ability
    # / difficulty.
    truth = demo_world["truth"]
    attempts = practice.load_attempts(demo_con)
    model = practice.fit(attempts)
    rows = memory_eval.retests(model, attempts)
    a = attempts.sort_values(["attempted_at", "attempt_id"]).reset_index(drop=True)
    passed = (a["score"] >= 0.8).astype(int)
    a["passes_before"] = passed.groupby([a["rep_id"], a["message_id"]]).cumsum() - passed
    practice_rows = a[a["passes_before"] >= 1]                      # after certification (the first pass)
    names = dict(demo_con.execute("SELECT message_id, message_name FROM messages").fetchall())
    emails = dict(demo_con.execute("SELECT rep_id, rep_email FROM reps").fetchall())
    rows = rows.merge(practice_rows[["rep_id", "message_id", "attempted_at", "passes_before"]],
                      on=["rep_id", "message_id", "attempted_at"])
    planted = np.clip(expected_score(rows["days_since_last_practice"], rows["passes_before"] - 1,
                                     rows["rep_id"].map(emails).map(truth["rep_ability"]),
                                     rows["message_id"].map(names).map(truth["forgetting"]["difficulty"])), 0, 1)
    rows = rows.assign(error=rows["fitted_score"] - planted, last_error=(rows["last_score"] - planted).abs())
    assert len(rows) > 3000
    for message_id, one in rows.groupby("message_id"):
        assert abs(one["error"].mean()) < 0.03, message_id
        assert one["error"].abs().mean() < 0.5 * one["last_error"].mean(), message_id


def test_the_heat_map_averages_trained_reps_per_team_and_message(forecast_db, planted_model):
    scores = forgetting.forecast(forecast_db, [pd.Timestamp("2025-04-02").date()], model=planted_model)
    matrix = forgetting.expected_score_matrix(scores, by="team")
    west = scores[(scores["team"] == "West") & (scores["message_id"] == "M1")]
    assert matrix.loc["West", "Message M1"] == pytest.approx(west["expected_score"].mean())
    assert matrix.loc["West", "Message M1"] == pytest.approx(west["expected_score"].dropna().mean())
    assert forgetting.expected_score_matrix(scores, by="rep").shape[0] == scores["rep_name"].nunique()
    with pytest.raises(ValueError):
        forgetting.expected_score_matrix(scores, by="team; DROP TABLE reps")


# ------------------------------------------------------------------------------ many dates at once (scale)

def test_a_forecast_for_many_dates_equals_the_forecasts_date_by_date(forecast_db, planted_model):
    days = [pd.Timestamp("2025-01-20").date(), pd.Timestamp("2025-03-01").date(), pd.Timestamp("2025-06-30").date()]
    together = forgetting.forecast(forecast_db, days, model=planted_model)
    apart = pd.concat([forgetting.forecast(forecast_db, [d], model=planted_model) for d in days], ignore_index=True)
    pd.testing.assert_frame_equal(together, apart, check_exact=True)
    scored = forgetting.practiced_scores(forecast_db, days, model=planted_model)
    practiced = together[together["n_attempts"] > 0]
    assert len(scored) == len(practiced)
    assert np.allclose(np.sort(scored["expected_score"]), np.sort(practiced["expected_score"]))


def test_a_reps_record_at_tied_moments_counts_only_earlier_moments(planted):
    tied = planted.copy()
    tied["attempted_at"] = tied["attempted_at"].dt.floor("D")        # many attempts of a rep at one moment
    a = mf.prepare(tied, 0.8)
    features = mf.row_features(a, 0.5)
    frame = a.frame.assign(passed=a.is_pass.astype(float))
    moments = frame.groupby(["rep_id", "attempted_at"])["passed"].agg(["sum", "count"]).sort_index()
    earlier = moments.groupby(level="rep_id").transform(lambda c: c.cumsum().shift(fill_value=0))
    want = earlier.loc[pd.MultiIndex.from_frame(frame[["rep_id", "attempted_at"]])]
    assert (features["rep_n_prior"].to_numpy() == want["count"].to_numpy()).all()
    assert np.allclose(features["rep_pass_prior"].to_numpy(), want["sum"].to_numpy())
    assert (features["rep_n_prior"] > 0).any()
    assert len(frame) > len(frame[["rep_id", "attempted_at"]].drop_duplicates())          # ties exist


def test_the_reinforcement_list_is_the_forecasts_due_pairs(forecast_db, planted_model):
    today = pd.Timestamp("2025-03-15").date()
    want = forgetting.reinforcement_list(forecast_db, today, model=planted_model)
    got = forgetting.due(forgetting.forecast(forecast_db, [today], model=planted_model), today)
    pd.testing.assert_frame_equal(got, want)
    assert len(want) and (want["days_left"] <= 7).all()


# ------------------------------------------------------------------------------ the reinforcement list's rules

def forecast_rows(**columns) -> pd.DataFrame:
    """forecast() rows of one day for a few practiced pairs: the given columns, neutral values for the rest."""
    n = len(next(iter(columns.values())))
    base = {"rep_name": [f"Rep {i}" for i in range(n)], "rep_email": [f"r{i}@example.com" for i in range(n)],
            "team": "East", "manager": "Morgan", "message": "Message M0", "expected_score": 0.7,
            "last_practiced": pd.Timestamp("2025-01-01"), "n_attempts": 3, "half_life_days": 20.0,
            "is_message_live": True, "is_rep_in_scope": True, "open_deals": 1, "open_pipeline": 1000.0,
            "rep_id": [f"R{i}" for i in range(n)], "message_id": "M0"}
    return pd.DataFrame({**base, **columns})


def test_due_this_week_means_crossing_the_target_within_seven_days_and_comes_first_soonest_first():
    today = pd.Timestamp("2025-06-02")
    rows = forecast_rows(reinforce_by=[today + pd.Timedelta(days=d) for d in (7, 0, 8, -1, 3, -200)],
                         expected_score=[0.81, 0.80, 0.9, 0.79, 0.82, 0.3])
    out = forgetting.due(rows, today.date())
    assert out["days_left"].tolist() == [0, 3, 7, -200, -1]    # 8 days out: not yet; overdue: weakest first here
    assert out["status"].tolist() == ["due this week"] * 3 + ["overdue"] * 2
    assert list(out.columns) == forgetting.DUE_COLUMNS


def test_overdue_pairs_are_ranked_by_what_is_at_stake_live_message_rep_in_scope_then_open_pipeline():
    today = pd.Timestamp("2025-06-02")
    late = today - pd.Timedelta(days=30)
    rows = forecast_rows(
        reinforce_by=[late] * 6,
        is_message_live=[False, True, True, True, True, True],
        is_rep_in_scope=[True, False, True, True, True, True],
        open_pipeline=[9e9, 9e9, 10.0, 5e5, 5e5, 0.0],
        expected_score=[0.1, 0.1, 0.1, 0.6, 0.4, 0.05])
    out = forgetting.due(rows, today.date())
    # live and in scope first, biggest open pipeline first, the weaker score first at equal pipeline;
    # a rep outside the message's segment next; a message not launched yet last, whatever its pipeline
    assert out["rep_id"].tolist() == ["R4", "R3", "R2", "R5", "R1", "R0"]
    assert (out["status"] == "overdue").all()


def test_a_subset_of_the_pairs_is_listed_in_the_same_order_as_in_the_whole_list():
    today = pd.Timestamp("2025-06-02")
    rng = np.random.default_rng(3)
    rows = forecast_rows(reinforce_by=[today + pd.Timedelta(days=int(d)) for d in rng.integers(-90, 8, 40)],
                         open_pipeline=rng.choice([0.0, 1e4, 1e5], 40), expected_score=rng.uniform(0.2, 0.9, 40),
                         is_rep_in_scope=rng.random(40) < 0.7)
    whole = forgetting.due(rows, today.date())
    part = forgetting.due(rows.iloc[::3], today.date())
    assert part["rep_id"].tolist() == [r for r in whole["rep_id"] if r in set(part["rep_id"])]


def test_stakes_come_from_launch_dates_segments_and_the_reps_open_deals_on_the_day():
    attempts = simulate(n_reps=3, n_messages=2, seed=9)
    con = database(attempts)
    con.execute("UPDATE messages SET launch_date = DATE '2025-03-01', target_segment = 'Enterprise' "
                "WHERE message_id = 'M1'")
    deals = pd.DataFrame({
        "opportunity_id": ["o1", "o2", "o3", "o4"], "rep_id": ["R000", "R000", "R000", "R001"],
        "segment": ["Enterprise", "enterprise ", "SMB", "SMB"], "amount": [100.0, 50.0, 7.0, 9.0],
        "is_closed": [False, True, False, False], "is_won": [False, True, False, False],
        "created_date": pd.to_datetime(["2025-01-10", "2025-01-05", "2025-01-20", "2025-05-01"]).date,
        "close_date": pd.to_datetime([None, "2025-02-01", None, None]).date})
    con.register("new_deals", deals)
    con.execute("INSERT INTO opportunities (opportunity_id, rep_id, segment, amount, is_closed, is_won, "
                "created_date, close_date) SELECT * FROM new_deals")
    before, after = (forgetting.stakes_on(con, pd.Timestamp(d)).set_index(["rep_id", "message_id"])
                     for d in ("2025-02-15", "2025-04-01"))
    assert not before.loc[("R000", "M1"), "is_message_live"] and after.loc[("R000", "M1"), "is_message_live"]
    assert after.loc[("R000", "M1"), "is_rep_in_scope"] and not after.loc[("R001", "M1"), "is_rep_in_scope"]
    assert after.loc[("R000", "M1"), ["open_deals", "open_pipeline"]].tolist() == [1, 100.0]   # o2 closed, o3 SMB
    assert after.loc[("R000", "M0"), ["open_deals", "open_pipeline"]].tolist() == [2, 107.0]   # M0: any segment
    assert after.loc[("R001", "M0"), "open_deals"] == 0                                         # o4 not created yet
    assert after.loc[("R002", "M0"), "is_rep_in_scope"] and after.loc[("R002", "M0"), "open_pipeline"] == 0


def test_no_reinforce_by_date_is_more_than_the_horizon_ahead_and_the_pages_say_beyond_it(forecast_db, planted_model):
    days = [pd.Timestamp("2025-04-10").date(), pd.Timestamp("2026-12-01").date()]
    out = forgetting.forecast(forecast_db, days, model=planted_model)
    practiced = out[out["n_attempts"] > 0]
    dated = practiced["reinforce_by"].notna()
    ahead = practiced["on_date"] + pd.Timedelta(days=planted_model.horizon_days)
    assert (practiced.loc[dated, "reinforce_by"] <= ahead[dated]).all()
    assert (practiced["is_beyond_horizon"] == ~dated).all()
    assert (practiced["half_life_days"] <= planted_model.cap_days_).all()
    assert planted_model.horizon_label() == "beyond 365 days"
    assert forgetting.forecast_rows(out)["reinforce_by"].isna().sum() == out["reinforce_by"].isna().sum()
