"""Time-ordered evaluation of memory forecasts: fit before a cutoff, forecast each pair's first later-day attempt.

For every practiced pair, the target is its first attempt from the cutoff on, if that is a whole day or more after
its last earlier attempt (same-day relearning steps are not forecasts). Each predictor sees only attempts before the
cutoff and gives a recall probability (scored against pass/fail by log loss, AUC and calibration) and an expected
score (scored by MAE). Predictors: the memory model, FSRS-6 with default parameters, FSRS-6 optimized on the
training part by the fsrs package (when its optimizer is installed), repeating the last outcome (the training pass
rate after a pass, or after a fail; the last score as expected score), and the mean.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
from sklearn.metrics import roc_auc_score

from analytics.estimators import memory_features as mf
from analytics.estimators.fsrs_reference import FSRSReference, optimizer_available
from analytics.estimators.memory import MemoryModel
from analytics.settings import PASS_MARK

CUTOFF_SHARE = 0.8
CALIBRATION_BINS = 10
METRIC_COLUMNS = ["predictor", "log_loss", "auc", "mae", "mean_recall", "pass_rate", "n", "fit_seconds"]


def default_cutoff(history: pd.DataFrame) -> pd.Timestamp:
    """The time by which 80 % of the graded attempts had happened."""
    times = np.sort(pd.to_datetime(history["attempted_at"]).dropna().to_numpy(dtype="datetime64[ns]"))
    return pd.Timestamp(times[int(CUTOFF_SHARE * (len(times) - 1))])


def evaluate(history: pd.DataFrame, cutoff=None, pass_mark: float = PASS_MARK, optimize_fsrs: bool | None = None,
             model: MemoryModel | None = None) -> dict:
    """Metrics (METRIC_COLUMNS), calibration tables (recall vs pass rate, expected vs observed score) and log loss by
    last outcome, for every predictor.

    optimize_fsrs: None runs FSRS-6's optimizer when it is installed, False skips it.
    """
    clean = mf.prepare(history, pass_mark).frame
    cutoff = default_cutoff(clean) if cutoff is None else pd.Timestamp(cutoff)
    early, targets = mf.later_day_targets(clean, cutoff)
    y = (targets["score"].to_numpy(dtype=float) >= pass_mark).astype(float)
    score = targets["score"].to_numpy(dtype=float)
    predictors = {"memory": model if model is not None else MemoryModel(pass_mark=pass_mark),
                  "fsrs6_default": FSRSReference(pass_mark=pass_mark)}
    if optimize_fsrs or (optimize_fsrs is None and optimizer_available()):
        predictors["fsrs6_optimized"] = FSRSReference(optimize=True, pass_mark=pass_mark)
    forecasts, seconds, fitted = {}, {}, {}
    for name, estimator in predictors.items():
        started = time.perf_counter()
        estimator.fit(early)
        states = targets[["rep_id", "message_id"]].merge(estimator.states(early), on=["rep_id", "message_id"],
                                                         how="left")
        forecasts[name] = estimator.predict_at(states, targets["attempted_at"])
        seconds[name] = time.perf_counter() - started
        fitted[name] = estimator
    baseline_states = mf.end_state(mf.prepare(early, pass_mark), None) if len(early) else None
    forecasts.update(_baselines(early, targets, baseline_states, pass_mark))
    last_failed = _last_failed(targets, baseline_states, pass_mark)
    metrics = pd.DataFrame([{"predictor": name, **_metrics(y, score, recall, expected),
                             "fit_seconds": seconds.get(name, 0.0)}
                            for name, (recall, expected) in forecasts.items()], columns=METRIC_COLUMNS)
    return {
        "cutoff": cutoff, "n_train": int(len(early)), "n_test": int(len(targets)),
        "metrics": metrics,
        "calibration": calibration_table({k: v[0] for k, v in forecasts.items()}, y),
        "score_calibration": calibration_table({k: v[1] for k, v in forecasts.items()}, score),
        "by_last_outcome": _by_group({k: v[0] for k, v in forecasts.items()}, y, last_failed),
        "models": fitted,
    }


def _baselines(early: pd.DataFrame, targets: pd.DataFrame, states, pass_mark: float) -> dict:
    """Repeat-the-last-outcome and mean forecasts from the training part only."""
    n = len(targets)
    if states is None or n == 0:
        return {"last_outcome": (np.full(n, 0.5), np.full(n, 0.5)), "mean": (np.full(n, 0.5), np.full(n, 0.5))}
    a = mf.prepare(early, pass_mark)
    feats = mf.row_features(a, 0.5)
    later = a.elapsed >= 1
    prev_failed = feats["last_score"].to_numpy() < pass_mark
    rate = {flag: _rate(a.is_pass[later & (prev_failed == flag)], float(a.is_pass.mean())) for flag in (True, False)}
    joined = targets[["rep_id", "message_id"]].merge(states, on=["rep_id", "message_id"], how="left")
    last_score = joined["last_score"].to_numpy(dtype=float)
    recall = np.where(last_score < pass_mark, rate[True], rate[False])
    return {"last_outcome": (recall, last_score),
            "mean": (np.full(n, float(a.is_pass.mean())), np.full(n, float(a.score.mean())))}


def _rate(values: np.ndarray, prior: float, prior_n: float = 2.0) -> float:
    return float((values.sum() + prior_n * prior) / (len(values) + prior_n))


def _last_failed(targets: pd.DataFrame, states, pass_mark: float) -> np.ndarray:
    if states is None:
        return np.zeros(len(targets), dtype=bool)
    joined = targets[["rep_id", "message_id"]].merge(states, on=["rep_id", "message_id"], how="left")
    return joined["last_score"].to_numpy(dtype=float) < pass_mark


def _metrics(y: np.ndarray, score: np.ndarray, recall: np.ndarray, expected: np.ndarray) -> dict:
    p = np.clip(np.asarray(recall, dtype=float), 1e-6, 1 - 1e-6)
    n = len(y)
    both = n and 0 < y.sum() < n
    return {
        "log_loss": float(-np.mean(y * np.log(p) + (1 - y) * np.log(1 - p))) if n else math.nan,
        "auc": float(roc_auc_score(y, p)) if both else math.nan,
        "mae": float(np.mean(np.abs(np.asarray(expected, dtype=float) - score))) if n else math.nan,
        "mean_recall": float(p.mean()) if n else math.nan,
        "pass_rate": float(y.mean()) if n else math.nan,
        "n": int(n),
    }


def calibration_table(predictions: dict[str, np.ndarray], observed: np.ndarray,
                      n_bins: int = CALIBRATION_BINS) -> pd.DataFrame:
    """Mean forecast vs observed pass rate per forecast bin, for each predictor."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    rows = []
    for name, pred in predictions.items():
        pred = np.asarray(pred, dtype=float)
        bins = np.clip(np.digitize(pred, edges[1:-1]), 0, n_bins - 1)
        for b in np.unique(bins):
            mask = bins == b
            rows.append({"predictor": name, "bin_low": edges[b], "bin_high": edges[b + 1],
                         "predicted_mean": float(pred[mask].mean()), "observed_mean": float(observed[mask].mean()),
                         "n": int(mask.sum())})
    return pd.DataFrame(rows, columns=["predictor", "bin_low", "bin_high", "predicted_mean", "observed_mean", "n"])


def _by_group(predictions: dict[str, np.ndarray], y: np.ndarray, last_failed: np.ndarray) -> pd.DataFrame:
    """Log loss per predictor after a passed vs a failed last training attempt, with each group's share of it."""
    rows = []
    for name, pred in predictions.items():
        p = np.clip(np.asarray(pred, dtype=float), 1e-6, 1 - 1e-6)
        loss = -(y * np.log(p) + (1 - y) * np.log(1 - p))
        for flag, label in ((False, "passed"), (True, "failed")):
            mask = last_failed == flag
            rows.append({"predictor": name, "last_outcome": label, "n": int(mask.sum()),
                         "log_loss": float(loss[mask].mean()) if mask.any() else math.nan,
                         "share_of_loss": float(loss[mask].sum() / loss.sum()) if loss.sum() > 0 else math.nan,
                         "mean_recall": float(p[mask].mean()) if mask.any() else math.nan,
                         "pass_rate": float(y[mask].mean()) if mask.any() else math.nan})
    return pd.DataFrame(rows)


def retests(model: MemoryModel, history: pd.DataFrame) -> pd.DataFrame:
    """Every repeat attempt with its pair's state just before it and the model's forecast of it (in sample).

    Adds to memory_features.row_states' columns: attempted_at, score, passed, days_since_last_practice,
    fitted_recall and fitted_score.
    """
    a = mf.prepare(history, model.pass_mark)
    states = mf.row_states(a, mf.walk(a, model.parameters_))
    rows = states["row"].to_numpy()
    at = a.frame["attempted_at"].to_numpy()[rows]
    recall, expected = model.predict_at(states, at) if len(states) else (np.zeros(0), np.zeros(0))
    gap = (pd.Series(at) - pd.to_datetime(states["last_practiced_at"])).dt.total_seconds().to_numpy() / 86_400
    return states.assign(attempted_at=at, score=a.score[rows], passed=a.is_pass[rows].astype(float),
                         days_since_last_practice=gap, fitted_recall=recall, fitted_score=expected)


def forgetting_by_message(model: MemoryModel, history: pd.DataFrame, days: float = 30.0) -> pd.DataFrame:
    """Per message, measured vs fitted recall and score of attempts about `days` (0.75x-1.25x) after a pass.

    Measured: the pass rate and mean score of those attempts; fitted: the model's forecasts of the same attempts
    from the state just before each (in sample: this describes the fit, the evaluation above measures accuracy).
    """
    frame = retests(model, history)
    gap = frame["days_since_last_practice"]
    frame = frame[(frame["last_score"] >= model.pass_mark) & (gap >= 0.75 * days) & (gap <= 1.25 * days)]
    out = frame.groupby("message_id", as_index=False).agg(
        n_attempts=("passed", "size"), measured_recall=("passed", "mean"), fitted_recall=("fitted_recall", "mean"),
        measured_score=("score", "mean"), fitted_score=("fitted_score", "mean"))
    out["days"] = float(days)
    return out
