"""What the forgetting law says about reps and messages: expected scores on dates, who to reinforce, the curves.

The state of a pair on a date uses its attempts on or before that date; the law (analytics.estimators.half_life) is
fitted on all attempts. The reinforcement date is when the expected score falls below the retention target
(analytics.settings.RETENTION_TARGET).
"""

from __future__ import annotations

import math
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from analytics.db import sql
from analytics.estimators.half_life import PREDICT_COLUMNS, HalfLifeRegression, NotEnoughHistory
from analytics.settings import PASS_MARK, RETENTION_TARGET
from analytics.views.practice import _attempts, _state_history, pair_states, practice_history

FOLK_SHARE_FORGOTTEN_30D = 0.9
# The forecast command's public columns (a stable interface), then the ids pages join on.
FORECAST_PUBLIC_COLUMNS = ["rep_email", "rep_name", "team", "message", "on_date", "expected_score", "half_life_days",
                           "last_practiced", "n_attempts", "reinforce_by"]
FORECAST_COLUMNS = FORECAST_PUBLIC_COLUMNS + ["rep_id", "message_id", "manager"]
GAP_EDGES = (0, 1, 3, 7, 14, 30, 60, 120, 240, math.inf)
HEAT_MAP_ROWS = {"rep": "rep_name", "team": "team"}


def forecast(con: duckdb.DuckDBPyConnection, on_dates: list[date], target: float = RETENTION_TARGET,
             pass_mark: float = PASS_MARK, model: HalfLifeRegression | None = None) -> pd.DataFrame:
    """Expected score of every rep x message on each date (never-trained pairs with null scores).

    The state of a pair on a date uses its attempts on or before that date; the law is fitted on all attempts.
    """
    pairs = con.execute(sql("marts/dim_retention_pairs.sql")).df()
    days = [pd.Timestamp(d).normalize() for d in on_dates]
    if not days:
        return pd.DataFrame(columns=FORECAST_COLUMNS)
    predicted = practiced_scores(con, days, target, pass_mark, model)
    grid = pd.concat([pairs.assign(on_date=day) for day in days], ignore_index=True)
    predicted["on_date"] = pd.to_datetime(predicted["on_date"]).astype(grid["on_date"].dtype)
    out = grid.merge(predicted, on=["rep_id", "message_id", "on_date"], how="left")
    out = out.rename(columns={"message_name": "message"})
    out["n_attempts"] = out["n_attempts"].fillna(0).astype("int64")
    for column in ("expected_score", "half_life_days"):
        out[column] = out[column].astype(float)
    for column in ("on_date", "last_practiced", "reinforce_by"):
        out[column] = pd.to_datetime(out[column])
    return out[FORECAST_COLUMNS]


def practiced_scores(con: duckdb.DuckDBPyConnection, on_dates: list[date], target: float = RETENTION_TARGET,
                     pass_mark: float = PASS_MARK, model: HalfLifeRegression | None = None) -> pd.DataFrame:
    """forecast() of the practiced pairs only (PREDICT_COLUMNS), without the roster grid; no model: null scores."""
    days = [pd.Timestamp(d).normalize() for d in on_dates]
    if not days:
        return pd.DataFrame(columns=PREDICT_COLUMNS)
    if model is None:
        history = practice_history(con, pass_mark)
        try:
            model = HalfLifeRegression(pass_mark).fit(history)
        except NotEnoughHistory:
            model = None
    else:
        history = _state_history(con, pass_mark)
    state = pair_states(history, [day + pd.Timedelta(days=1) for day in days])
    on_day = (state["before"] - pd.Timedelta(days=1)).to_numpy()
    if model is not None:
        return model.predict_rows(state, on_day, target)
    return pd.DataFrame({"rep_id": state["rep_id"], "message_id": state["message_id"], "on_date": on_day,
                         "expected_score": math.nan, "half_life_days": math.nan,
                         "last_practiced": pd.to_datetime(state["last_practiced_at"]).dt.normalize(),
                         "n_attempts": state["n_prior_attempts"], "reinforce_by": pd.NaT})


def reinforcement_list(con: duckdb.DuckDBPyConnection, today: date, target: float = RETENTION_TARGET,
                       horizon_days: int = 7, model: HalfLifeRegression | None = None) -> pd.DataFrame:
    """Trained pairs whose expected score is below target now or will be within the horizon, weakest first."""
    return due(forecast(con, [today], target, model=model), today, horizon_days)


def due(current: pd.DataFrame, today: date, horizon_days: int = 7) -> pd.DataFrame:
    """The reinforcement list from forecast() rows of `today`: due within the horizon, weakest first."""
    # ties broken by rep, message and ids, so any subset of the rows lists its pairs in the same order
    today = pd.Timestamp(today).normalize()
    out = current[(current["n_attempts"] > 0) & current["reinforce_by"].notna()
                  & (current["reinforce_by"] <= today + pd.Timedelta(days=horizon_days))].copy()
    out["days_left"] = (out["reinforce_by"] - today).dt.days.astype("int64")
    out = out.sort_values(["expected_score", "reinforce_by", "rep_name", "message", "rep_id", "message_id"],
                          kind="stable")
    return out[["rep_name", "rep_email", "team", "manager", "message", "expected_score", "reinforce_by", "days_left",
                "last_practiced", "n_attempts", "half_life_days", "rep_id", "message_id"]].reset_index(drop=True)


def share_above_target(con: duckdb.DuckDBPyConnection, on_dates: list[date], target: float = RETENTION_TARGET,
                       model: HalfLifeRegression | None = None) -> pd.DataFrame:
    """Per date and message, the share of reps whose expected score is at or above target (untrained count below)."""
    scores = forecast(con, on_dates, target, model=model)
    scores["is_above"] = scores["expected_score"].fillna(-1.0) >= target
    out = (scores.groupby(["on_date", "message_id", "message"], as_index=False, dropna=False)
           .agg(n_reps=("rep_id", "size"), n_above=("is_above", "sum")))
    out["share_above"] = out["n_above"] / out["n_reps"]
    return out


def expected_score_matrix(scores: pd.DataFrame, by: str = "team") -> pd.DataFrame:
    """Mean expected score of trained reps, rep or team x message, from one date of forecast() output."""
    if by not in HEAT_MAP_ROWS:
        raise ValueError(f"by must be one of {sorted(HEAT_MAP_ROWS)}, not {by!r}")
    return scores.pivot_table(index=HEAT_MAP_ROWS[by], columns="message", values="expected_score",
                              aggfunc="mean", dropna=False).sort_index()


def forgetting_curve(source, message_id: str | None = None, model: HalfLifeRegression | None = None,
                     pass_mark: float = PASS_MARK) -> pd.DataFrame:
    """Observed and fitted mean score by days since a passed practice, per message.

    Uses attempts whose previous attempt on the message passed: what was known, tested again after a gap.
    """
    history = practice_history(_attempts(source), pass_mark)
    model = model or HalfLifeRegression(pass_mark).fit(history)
    retests = _retests(history, pass_mark)
    if message_id is not None:
        retests = retests[retests["message_id"] == message_id]
    retests["fitted"] = model.expected_score(retests)
    retests["days_bin"] = pd.cut(retests["days_since_last_practice"], list(GAP_EDGES), right=False,
                                 labels=_bin_labels()).astype(str)
    out = (retests.groupby(["message_id", "days_bin"], as_index=False, sort=False)
           .agg(days_since_last_practice=("days_since_last_practice", "mean"), n_attempts=("score", "size"),
                observed_score=("score", "mean"), fitted_score=("fitted", "mean")))
    return out.sort_values(["message_id", "days_since_last_practice"]).reset_index(drop=True)


def forgotten_after(source, days: float = 30, model: HalfLifeRegression | None = None,
                    pass_mark: float = PASS_MARK, min_attempts: int = 5) -> pd.DataFrame:
    """Per message, the share of a passed score lost after about `days` without practice, measured from attempts.

    Measured on attempts made 0.75x to 1.25x `days` after a passed attempt: 1 - mean score / mean passed score.
    `model_share_forgotten` is what the fitted law says for all such retests at exactly `days`.
    """
    history = practice_history(_attempts(source), pass_mark)
    model = model or HalfLifeRegression(pass_mark).fit(history)
    retests = _retests(history, pass_mark)
    retests["at_days"] = model.expected_score(retests, np.full(len(retests), float(days)))
    retests["at_zero"] = model.expected_score(retests, np.zeros(len(retests)))
    window = retests["days_since_last_practice"].between(0.75 * days, 1.25 * days)
    measured = (retests[window].groupby("message_id")
                .agg(n_attempts=("score", "size"), mean_days=("days_since_last_practice", "mean"),
                     score_before=("last_score", "mean"), score_after=("score", "mean")))
    modelled = retests.groupby("message_id").agg(at_days=("at_days", "mean"), at_zero=("at_zero", "mean"))
    out = modelled.join(measured, how="left")
    out["n_attempts"] = out["n_attempts"].fillna(0).astype("int64")
    enough = out["n_attempts"] >= min_attempts
    out["share_forgotten"] = (1.0 - out["score_after"] / out["score_before"]).where(enough)
    out["model_share_forgotten"] = 1.0 - out["at_days"] / out["at_zero"]
    out["folk_share_forgotten"] = FOLK_SHARE_FORGOTTEN_30D
    out["days"] = float(days)
    return out.reset_index()[["message_id", "days", "n_attempts", "mean_days", "score_before", "score_after",
                              "share_forgotten", "model_share_forgotten", "folk_share_forgotten"]]


def _retests(history: pd.DataFrame, pass_mark: float) -> pd.DataFrame:
    """Attempts whose previous attempt on the same message passed."""
    return history[history["last_score"] >= pass_mark].copy()


def _bin_labels() -> list[str]:
    labels = []
    for low, high in zip(GAP_EDGES[:-1], GAP_EDGES[1:]):
        labels.append(f"{low}+" if math.isinf(high) else f"{low}-{high}")
    return labels


def forecast_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The forecast command's public rows: ISO dates, scores to 3 decimals, half-lives to 0.1 day, nulls as None."""
    out = df[FORECAST_PUBLIC_COLUMNS].copy()
    for c in ("on_date", "last_practiced", "reinforce_by"):
        out[c] = pd.to_datetime(out[c]).dt.strftime("%Y-%m-%d")
    out["expected_score"] = out["expected_score"].round(3)
    out["half_life_days"] = out["half_life_days"].round(1)
    out["n_attempts"] = out["n_attempts"].astype("Int64")
    return out.astype(object).where(out.notna(), None)
