"""Time-ordered evaluation of memory forecasts and the FSRS-6 reference it is compared with."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analytics.estimators import fsrs_law
from analytics.estimators import memory_features as mf
from analytics.estimators.fsrs_reference import FSRSReference, optimizer_available
from analytics.estimators.memory_eval import METRIC_COLUMNS, evaluate
from analytics.estimators.fsrs_world import fsrs_world


def _frame(rows):
    return mf.prepare(pd.DataFrame(rows, columns=["rep_id", "message_id", "attempted_at", "score"]), 0.8).frame


def test_targets_are_each_known_pairs_first_attempt_a_day_or_more_after_its_last():
    t = pd.Timestamp
    frame = _frame([
        ("r", "a", t("2025-01-01 09:00"), 0.9), ("r", "a", t("2025-01-05 09:00"), 0.7),
        ("r", "a", t("2025-01-06 09:00"), 0.9),                                   # second later attempt: not a target
        ("r", "b", t("2025-01-03 09:00"), 0.5), ("r", "b", t("2025-01-03 15:00"), 0.9),   # same-day relearning
        ("r", "c", t("2025-01-05 09:00"), 0.9),                                   # new after the cutoff
    ])
    early, targets = mf.later_day_targets(frame, t("2025-01-03 12:00"))
    assert len(early) == 2
    assert targets[["message_id", "score"]].values.tolist() == [["a", 0.7]]
    assert targets["last_practiced_at"].iloc[0] == t("2025-01-01 09:00")


def test_evaluation_reports_log_loss_auc_mae_and_calibration_for_every_predictor():
    attempts = fsrs_world(n_reps=30, n_messages=10, seed=2)
    result = evaluate(attempts, optimize_fsrs=False)
    metrics = result["metrics"]
    assert list(metrics.columns) == METRIC_COLUMNS
    assert set(metrics["predictor"]) == {"memory", "fsrs6_default", "last_outcome", "mean"}
    assert metrics[["log_loss", "auc", "mae"]].notna().all().all()
    assert (metrics["n"] == result["n_test"]).all() and result["n_test"] > 50
    calibration = result["calibration"]
    assert (calibration.groupby("predictor")["n"].sum() == result["n_test"]).all()
    # the mean forecast cannot rank anyone: its AUC is exactly one half
    assert metrics.set_index("predictor").loc["mean", "auc"] == 0.5


def test_fsrs_reference_with_default_parameters_forecasts_the_laws_retrievability():
    attempts = pd.DataFrame({"rep_id": "r", "message_id": "m",
                             "attempted_at": pd.to_datetime(["2025-01-01 09:00", "2025-01-04 09:00"]),
                             "score": [0.9, 0.9]})
    reference = FSRSReference().fit(attempts)
    states = reference.states(attempts)
    recall, expected = reference.predict_at(states, [pd.Timestamp("2025-01-14 10:00")])
    w = fsrs_law.DEFAULT_PARAMETERS
    S, D = fsrs_law.review(np.array([np.nan]), np.array([np.nan]), np.array([3]), np.array([0.0]), w)
    S, D = fsrs_law.review(S, D, np.array([3]), np.array([3.0]), w)
    assert recall[0] == pytest.approx(fsrs_law.retrievability(10, S, w)[0])
    assert expected[0] == recall[0]


def test_fsrs_reference_optimizes_with_the_packages_optimizer_when_it_is_installed():
    attempts = fsrs_world(n_reps=12, n_messages=10, seed=4)
    reference = FSRSReference(optimize=True)
    if not optimizer_available():
        with pytest.raises(ImportError):
            reference.fit(attempts)
        return
    reference.fit(attempts)
    assert reference.is_optimized_
    assert not np.allclose(reference.parameters_, fsrs_law.DEFAULT_PARAMETERS)
    lows, highs = np.array(fsrs_law.BOUNDS).T
    assert ((reference.parameters_ >= lows) & (reference.parameters_ <= highs)).all()


def test_measured_and_fitted_forgetting_per_message_agree_where_the_law_is_known():
    from analytics.estimators.memory import MemoryModel
    from analytics.estimators.memory_eval import forgetting_by_message
    attempts = fsrs_world(n_reps=60, n_messages=5, seed=6)
    table = forgetting_by_message(MemoryModel().fit(attempts), attempts, days=30)
    assert set(table["message_id"]) == set(attempts["message_id"])
    assert (table["n_attempts"] >= 20).all()
    weights = table["n_attempts"] / table["n_attempts"].sum()
    assert abs(float((weights * (table["fitted_recall"] - table["measured_recall"])).sum())) < 0.05
