"""The memory model and its FSRS-6 law: equal to the fsrs package, planted parameters recovered, no future in any
feature, sensible with one attempt or none, bounded half-lives and reinforce-by dates on every world."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from fsrs import Card, Rating, Scheduler

from analytics.views import practice
from analytics.estimators import fsrs_law
from analytics.estimators import memory_features as mf
from analytics.estimators.memory import MemoryModel
from analytics.estimators.memory_eval import evaluate
from analytics.estimators.fsrs_world import PLANTED, fsrs_world


def _random_reviews(seed: int, n_cards: int = 50):
    rng = np.random.default_rng(seed)
    rows = []
    for card in range(n_cards):
        when = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(hours=float(rng.uniform(0, 100)))
        for _ in range(rng.integers(1, 12)):
            rows.append((card, when, int(rng.choice([1, 2, 3, 4], p=[0.25, 0.1, 0.5, 0.15]))))
            when += dt.timedelta(hours=float(rng.choice([0.2, 5, 30, 100, 400, 2000])))
    rows.sort(key=lambda r: r[1])
    cards = np.array([r[0] for r in rows])
    times = np.array([np.datetime64(r[1].replace(tzinfo=None), "ns").astype(np.int64) for r in rows])
    return rows, fsrs_law.pack(cards, times, np.array([r[2] for r in rows]))


@pytest.fixture(scope="module")
def world():
    return fsrs_world(n_reps=60, n_messages=20, seed=0)


@pytest.fixture(scope="module")
def world_model(world):
    return MemoryModel().fit(world)


def test_scores_map_to_ratings_by_the_documented_rule():
    ratings = fsrs_law.ratings_from_scores([0.0, 0.79, 0.8, 0.84, 0.85, 0.94, 0.95, 1.0], pass_mark=0.8)
    assert ratings.tolist() == [1, 1, 2, 2, 3, 3, 4, 4]


def test_the_vectorized_law_gives_the_fsrs_schedulers_states_including_same_day_steps():
    rows, seqs = _random_reviews(seed=1)
    w = np.clip(fsrs_law.DEFAULT_PARAMETERS * np.random.default_rng(2).uniform(0.7, 1.3, 21),
                [b[0] for b in fsrs_law.BOUNDS], [b[1] for b in fsrs_law.BOUNDS])
    R, S, D, _ = fsrs_law.run(seqs, w)
    scheduler, cards, worst = Scheduler(parameters=tuple(w), enable_fuzzing=False), {}, 0.0
    for i, (card_id, when, rating) in enumerate(rows):
        card = cards.get(card_id)
        if card is None:
            card = Card(card_id=card_id, due=when)
        else:
            worst = max(worst, abs(scheduler.get_card_retrievability(card, when) - R[i]),
                        abs(card.stability - S[i]), abs(card.difficulty - D[i]))
        cards[card_id], _ = scheduler.review_card(card, Rating(rating), when)
    assert worst < 1e-9


def test_the_laws_gradient_matches_finite_differences():
    rows, seqs = _random_reviews(seed=3)
    y = (seqs.rating > 1).astype(float)
    w = fsrs_law.DEFAULT_PARAMETERS.copy()
    _, grad = fsrs_law.run(seqs, w, labels=y)
    for j in range(fsrs_law.N_PARAMETERS):
        h = 1e-6 * max(1.0, abs(w[j]))
        up, down = w.copy(), w.copy()
        up[j] += h
        down[j] -= h
        numeric = (fsrs_law.run(seqs, up, labels=y)[0] - fsrs_law.run(seqs, down, labels=y)[0]) / (2 * h)
        assert grad[j] == pytest.approx(numeric, abs=1e-6)


def test_same_day_steps_update_the_state_but_are_left_out_of_the_loss():
    rows, seqs = _random_reviews(seed=4)
    y = (seqs.rating > 1).astype(float)
    flipped = np.where(seqs.elapsed < 1, 1.0 - y, y)
    assert fsrs_law.run(seqs, fsrs_law.DEFAULT_PARAMETERS, labels=y)[0] == \
        fsrs_law.run(seqs, fsrs_law.DEFAULT_PARAMETERS, labels=flipped)[0]
    assert (seqs.elapsed == 0).any()


def test_fitting_a_world_that_follows_fsrs6_recovers_its_planted_parameters():
    attempts = fsrs_world(n_reps=150, n_messages=20, seed=1)
    model = MemoryModel(variants=("fsrs6_fitted",), fit_iterations=300, max_fit_reviews=100_000).fit(attempts)
    w = model.parameters_
    assert w[2] == pytest.approx(PLANTED[2], rel=0.15)          # first stability after a Good pass
    assert w[20] == pytest.approx(PLANTED[20], rel=0.15)        # the power curve's decay
    assert abs(fsrs_law.DEFAULT_PARAMETERS[2] - PLANTED[2]) / PLANTED[2] > 0.3    # so the test can fail
    a = mf.prepare(attempts, 0.8)
    later = fsrs_law.pack(a.pair, a.times, a.rating).elapsed >= 1
    truth = mf.walk(a, PLANTED)["R"][later]
    assert np.mean(np.abs(mf.walk(a, w)["R"][later] - truth)) < 0.01
    assert np.mean(np.abs(mf.walk(a, fsrs_law.DEFAULT_PARAMETERS)["R"][later] - truth)) > 0.02


def test_no_feature_or_state_uses_a_later_attempt(world, world_model):
    cut = world["attempted_at"].quantile(0.6)
    changed = world.copy()
    later = changed["attempted_at"] >= cut
    changed.loc[later, "score"] = 1.0 - changed.loc[later, "score"]
    for model in (world_model,):
        before = model.states(world, cut).sort_values(["rep_id", "message_id"]).reset_index(drop=True)
        after = model.states(changed, cut).sort_values(["rep_id", "message_id"]).reset_index(drop=True)
        pd.testing.assert_frame_equal(before, after)
    a, b = mf.prepare(world, 0.8), mf.prepare(changed, 0.8)
    early = a.times < pd.Timestamp(cut).value
    fa, fb = mf.row_features(a, 0.8), mf.row_features(b, 0.8)
    pd.testing.assert_frame_equal(fa[early], fb[early])
    wa, wb = mf.walk(a, PLANTED), mf.walk(b, PLANTED)
    np.testing.assert_array_equal(wa["S"][early], wb["S"][early])


def test_the_reps_record_counts_only_strictly_earlier_attempts():
    at = pd.Timestamp("2025-03-03 10:00")
    history = pd.DataFrame({"rep_id": ["r", "r", "r", "q"], "message_id": ["m1", "m2", "m3", "m1"],
                            "attempted_at": [at, at, at + pd.Timedelta(days=1), at],
                            "score": [1.0, 0.0, 1.0, 0.0]})
    features = mf.row_features(mf.prepare(history, 0.8), pass_rate=0.5)
    skill = features["rep_skill"].to_numpy()
    assert skill[0] == skill[1] == skill[2] == 0.0               # same moment: nothing earlier counts
    assert skill[3] == pytest.approx((1 + 5 * 0.5) / 7 - 0.5)    # one pass and one fail before


def test_no_attempts_fit_and_forecast_to_empty_answers():
    empty = pd.DataFrame({"rep_id": [], "message_id": [], "attempted_at": pd.to_datetime([]), "score": []})
    model = MemoryModel().fit(empty)
    assert model.variant_ == "fsrs6"
    assert model.predict(model.states(empty), [pd.Timestamp("2025-01-01")]).empty


def test_one_attempt_gives_a_forecast_between_floor_and_certainty_with_bounded_dates():
    one = pd.DataFrame({"rep_id": ["r"], "message_id": ["m"], "attempted_at": [pd.Timestamp("2025-01-01 09:00")],
                        "score": [0.9]})
    model = MemoryModel().fit(one)
    out = model.predict(model.states(one), [pd.Timestamp("2025-01-01"), pd.Timestamp("2025-03-01")])
    assert out["recall"].between(0.01, 1.0).all()
    assert out["recall"].iloc[1] < out["recall"].iloc[0]
    assert (out["half_life_days"] <= model.cap_days_).all()
    due = out["reinforce_by"].dropna()
    assert (due <= out.loc[due.index, "on_date"] + pd.Timedelta(days=model.horizon_days)).all()


def _assert_bounded(model: MemoryModel, attempts: pd.DataFrame) -> None:
    states = model.states(attempts)
    last = pd.to_datetime(attempts["attempted_at"]).max().normalize()
    out = model.predict(states, [last, last + pd.Timedelta(days=400)])
    longest = mf.longest_gap_days(mf.prepare(attempts, model.pass_mark))
    assert model.cap_days_ <= 3.0 * max(longest, 30.0) + 1e-9
    assert (out["stability_days"] <= model.cap_days_).all()
    assert (out["half_life_days"] <= model.cap_days_).all() and (out["half_life_days"] >= 0).all()
    ahead = out["on_date"] + pd.Timedelta(days=model.horizon_days)
    dated = out["reinforce_by"].notna()
    assert (out.loc[dated, "reinforce_by"] <= ahead[dated]).all()
    assert (out["is_beyond_horizon"] == ~dated).all()
    assert out["recall"].between(0, 1).all() and out["expected_score"].between(0, 1).all()


def test_half_lives_and_reinforce_by_dates_stay_bounded_on_the_fsrs_world(world, world_model):
    _assert_bounded(world_model, world)


def test_half_lives_and_reinforce_by_dates_stay_bounded_on_the_demo_world(demo_con):
    attempts = practice.load_attempts(demo_con)
    _assert_bounded(MemoryModel().fit(attempts), attempts)


def test_half_lives_stay_bounded_when_every_pass_is_perfect_for_years():
    days = pd.to_datetime(["2020-01-01", "2020-01-05", "2020-02-01", "2020-06-01", "2021-06-01", "2023-06-01"])
    perfect = pd.DataFrame({"rep_id": np.repeat([f"r{i}" for i in range(10)], len(days)), "message_id": "m",
                            "attempted_at": np.tile(days, 10), "score": 1.0})
    model = MemoryModel().fit(perfect)
    _assert_bounded(model, perfect)
    out = model.predict(model.states(perfect), [pd.Timestamp("2023-06-02")])
    assert out["is_beyond_horizon"].all()


def test_the_memory_model_beats_fsrs6_defaults_where_memory_follows_planted_fsrs6(world):
    metrics = evaluate(world, optimize_fsrs=False)["metrics"].set_index("predictor")
    assert metrics.loc["memory", "log_loss"] <= metrics.loc["fsrs6_default", "log_loss"]
    assert metrics.loc["memory", "log_loss"] < metrics.loc["last_outcome", "log_loss"]


def test_the_memory_model_beats_fsrs6_and_the_last_score_on_the_demo_world(demo_con):
    result = evaluate(practice.load_attempts(demo_con), optimize_fsrs=False)
    metrics = result["metrics"].set_index("predictor")
    assert metrics.loc["memory", "log_loss"] < metrics.loc["fsrs6_default", "log_loss"]
    assert metrics.loc["memory", "log_loss"] < metrics.loc["last_outcome", "log_loss"]
    assert metrics.loc["memory", "mae"] < metrics.loc["last_outcome", "mae"]
    assert set(result["calibration"]["predictor"]) == {"memory", "fsrs6_default", "last_outcome", "mean"}


def test_after_a_lapse_the_forecast_matches_how_often_reps_then_pass():
    attempts = fsrs_world(n_reps=150, n_messages=20, seed=5, relearn_share=0.0)
    groups = evaluate(attempts, optimize_fsrs=False)["by_last_outcome"]
    lapsed = groups[(groups["predictor"] == "memory") & (groups["last_outcome"] == "failed")].iloc[0]
    assert lapsed["n"] >= 30
    assert abs(lapsed["mean_recall"] - lapsed["pass_rate"]) < 0.1
    assert lapsed["mean_recall"] > 0.2
