"""What the memory model says about reps and messages: expected scores on dates, who to reinforce, the curves.

The state of a pair on a date uses its attempts on or before that date; the model (analytics.estimators.memory) is
fitted on all attempts. The reinforcement date is the first day the expected score is below the retention target
(analytics.settings.RETENTION_TARGET); one more than the model's horizon (365 days) after the date is not given.

The reinforcement list (due): pairs due this week -- crossing the target within the next 7 days -- soonest first,
then the overdue ones (already below target) ranked by what a forgotten message puts at stake
(sql/queries/reinforcement_stakes.sql): a live message before one not launched yet, a rep in the message's target
segment before one outside it, then the rep's open pipeline in that segment, largest first.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import date

import duckdb
import numpy as np
import pandas as pd

from analytics.db import sql
from analytics.estimators import memory_eval
from analytics.estimators import memory_features as mf
from analytics.estimators.memory import PREDICT_COLUMNS, MemoryModel, NotEnoughHistory
from analytics.results import stored
from analytics.settings import PASS_MARK, RETENTION_TARGET
from analytics.views.practice import _attempts, fit, load_attempts

FOLK_SHARE_FORGOTTEN_30D = 0.9
# The forecast command's public columns (a stable interface), then the ids pages join on, then what the pages add.
FORECAST_PUBLIC_COLUMNS = ["rep_email", "rep_name", "team", "message", "on_date", "expected_score", "half_life_days",
                           "last_practiced", "n_attempts", "reinforce_by"]
STAKE_COLUMNS = ["is_message_live", "is_rep_in_scope", "open_deals", "open_pipeline"]
FORECAST_COLUMNS = FORECAST_PUBLIC_COLUMNS + ["rep_id", "message_id", "manager", "recall", "is_beyond_horizon",
                                              *STAKE_COLUMNS]
DUE_COLUMNS = ["rep_name", "rep_email", "team", "manager", "message", "status", "expected_score", "reinforce_by",
               "days_left", "last_practiced", "n_attempts", "half_life_days", *STAKE_COLUMNS, "rep_id", "message_id"]
FORGOTTEN_COLUMNS = ["message_id", "days", "n_attempts", "mean_days", "score_before", "score_after",
                     "share_forgotten", "model_share_forgotten", "folk_share_forgotten", "fitted_share_forgotten",
                     "believe"]
DUE_THIS_WEEK, OVERDUE = "due this week", "overdue"
GAP_EDGES = (0, 1, 3, 7, 14, 30, 60, 120, 240, math.inf)
HEAT_MAP_ROWS = {"rep": "rep_name", "team": "team"}
# Measured and fitted 30-day scores "agree" within this many standard errors of the measured mean score, or within
# AGREE_POINTS of a score (a smaller gap changes no decision about a refresher).
AGREE_STANDARD_ERRORS = 2.0
AGREE_POINTS = 0.03


def _dates_key(con, arguments: dict) -> dict:
    """forecast's and practiced_scores' arguments with the dates as days (a date and its midnight give one key)."""
    return {**arguments, "on_dates": [pd.Timestamp(d).normalize().date().isoformat() for d in arguments["on_dates"]]}


@stored(key=_dates_key)
def forecast(con: duckdb.DuckDBPyConnection, on_dates: list[date], target: float = RETENTION_TARGET,
             pass_mark: float = PASS_MARK, model: MemoryModel | None = None) -> pd.DataFrame:
    """Expected score of every rep x message on each date (never-trained pairs with null scores), with its stakes.

    The state of a pair on a date uses its attempts on or before that date; the model is fitted on all attempts.
    Stored for the default as-of date: the Retention page's filters select among its rows (analytics.refresh).
    """
    pairs = con.execute(sql("marts/dim_retention_pairs.sql")).df()
    days = [pd.Timestamp(d).normalize() for d in on_dates]
    if not days:
        return pd.DataFrame(columns=FORECAST_COLUMNS)
    predicted = practiced_scores(con, days, target, pass_mark, model)
    grid = pd.concat([pairs.assign(on_date=day) for day in days], ignore_index=True)
    stakes = pd.concat([stakes_on(con, day) for day in days], ignore_index=True)
    predicted["on_date"] = pd.to_datetime(predicted["on_date"]).astype(grid["on_date"].dtype)
    stakes["on_date"] = stakes["on_date"].astype(grid["on_date"].dtype)
    out = (grid.merge(predicted, on=["rep_id", "message_id", "on_date"], how="left")
           .merge(stakes, on=["rep_id", "message_id", "on_date"], how="left"))
    out = out.rename(columns={"message_name": "message"})
    out["n_attempts"] = out["n_attempts"].fillna(0).astype("int64")
    out["is_beyond_horizon"] = out["is_beyond_horizon"].astype("boolean").fillna(False).astype(bool)
    for column in ("expected_score", "half_life_days", "recall", "open_pipeline"):
        out[column] = out[column].astype(float)
    out["open_deals"] = out["open_deals"].fillna(0).astype("int64")
    for column in ("is_message_live", "is_rep_in_scope"):
        out[column] = out[column].astype("boolean").fillna(False).astype(bool)
    for column in ("on_date", "last_practiced", "reinforce_by"):     # one unit, kept when stored (Parquet)
        out[column] = pd.to_datetime(out[column]).astype("datetime64[ns]")
    return out[FORECAST_COLUMNS]


def stakes_on(con: duckdb.DuckDBPyConnection, day) -> pd.DataFrame:
    """What a forgotten message puts at stake per rep x message on a day (sql/queries/reinforcement_stakes.sql)."""
    day = pd.Timestamp(day).normalize()
    out = con.execute(sql("queries/reinforcement_stakes.sql"), {"as_of": day.date()}).df()
    return out.assign(on_date=day)


@stored(key=_dates_key)
def practiced_scores(con: duckdb.DuckDBPyConnection, on_dates: list[date], target: float = RETENTION_TARGET,
                     pass_mark: float = PASS_MARK, model: MemoryModel | None = None) -> pd.DataFrame:
    """forecast() of the practiced pairs only (PREDICT_COLUMNS), without the roster grid; no model: null scores."""
    # Every rep's state on every date, whatever the filters: stored for the Overview's dates, so a filter change
    # only selects rows (analytics.refresh).
    days = [pd.Timestamp(d).normalize() for d in on_dates]
    if not days:
        return pd.DataFrame(columns=PREDICT_COLUMNS)
    attempts = load_attempts(con)
    if model is None:
        try:
            model = fit(attempts, pass_mark)
        except NotEnoughHistory:
            model = None
    if model is not None and model.target != target:
        model = replace(model, target=target)
    frames = []
    for day in days:
        before = day + pd.Timedelta(days=1)
        if model is not None:
            frames.append(model.predict(model.states(attempts, before), [day]))
            continue
        known = attempts[pd.to_datetime(attempts["attempted_at"]) < before]
        state = mf.end_state(mf.prepare(known, pass_mark), None)
        frames.append(pd.DataFrame({
            "rep_id": state["rep_id"], "message_id": state["message_id"], "on_date": day, "recall": math.nan,
            "expected_score": math.nan, "half_life_days": math.nan, "stability_days": math.nan,
            "last_practiced": pd.to_datetime(state["last_practiced_at"]).dt.normalize(),
            "n_attempts": state["n_attempts"], "reinforce_by": pd.NaT, "is_beyond_horizon": False},
            columns=PREDICT_COLUMNS))
    out = pd.concat(frames, ignore_index=True)
    out["rep_id"] = out["rep_id"].astype(object)
    out["message_id"] = out["message_id"].astype(object)
    return out


def reinforcement_list(con: duckdb.DuckDBPyConnection, today: date, target: float = RETENTION_TARGET,
                       horizon_days: int = 7, model: MemoryModel | None = None) -> pd.DataFrame:
    """Trained pairs due this week (crossing the target within the horizon), then the overdue ones by stake."""
    return due(forecast(con, [today], target, model=model), today, horizon_days)


def due(current: pd.DataFrame, today: date, horizon_days: int = 7) -> pd.DataFrame:
    """The reinforcement list from forecast() rows of `today` (DUE_COLUMNS; the module docstring gives the order)."""
    # ties broken by score, date, rep, message and ids, so any subset of the rows lists its pairs in the same order
    today = pd.Timestamp(today).normalize()
    out = current[(current["n_attempts"] > 0) & current["reinforce_by"].notna()
                  & (current["reinforce_by"] <= today + pd.Timedelta(days=horizon_days))].copy()
    out["days_left"] = (out["reinforce_by"] - today).dt.days.astype("int64")
    overdue = out["days_left"] < 0
    out["status"] = np.where(overdue, OVERDUE, DUE_THIS_WEEK)
    # due this week: soonest first; overdue: live message, rep in scope, open pipeline, then the weakest
    out["_rank"] = np.where(overdue, 1, 0)
    out["_stake"] = np.where(overdue, -(out["is_message_live"].astype(int) * 2 + out["is_rep_in_scope"].astype(int)),
                             0)
    out["_pipeline"] = np.where(overdue, -out["open_pipeline"].fillna(0.0), 0.0)
    out["_soon"] = np.where(overdue, 0, out["days_left"])
    out = out.sort_values(["_rank", "_soon", "_stake", "_pipeline", "expected_score", "reinforce_by", "rep_name",
                           "message", "rep_id", "message_id"], kind="stable")
    return out[DUE_COLUMNS].reset_index(drop=True)


def share_above_target(con: duckdb.DuckDBPyConnection, on_dates: list[date], target: float = RETENTION_TARGET,
                       model: MemoryModel | None = None) -> pd.DataFrame:
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


def forgetting_curve(source, message_id: str | None = None, model: MemoryModel | None = None,
                     pass_mark: float = PASS_MARK) -> pd.DataFrame:
    """Observed and fitted mean score by days since a passed practice, per message.

    Uses attempts whose previous attempt on the message passed: what was known, tested again after a gap. Fitted: the
    model's forecast of each of those attempts from the pair's state just before it.
    """
    attempts = _attempts(source)
    model = model or fit(attempts, pass_mark)
    retests = _passed_retests(model, attempts)
    if message_id is not None:
        retests = retests[retests["message_id"] == message_id]
    retests["days_bin"] = pd.cut(retests["days_since_last_practice"], list(GAP_EDGES), right=False,
                                 labels=_bin_labels()).astype(str)
    out = (retests.groupby(["message_id", "days_bin"], as_index=False, sort=False)
           .agg(days_since_last_practice=("days_since_last_practice", "mean"), n_attempts=("score", "size"),
                observed_score=("score", "mean"), fitted_score=("fitted_score", "mean")))
    return out.sort_values(["message_id", "days_since_last_practice"]).reset_index(drop=True)


def forgotten_after(source, days: float = 30, model: MemoryModel | None = None,
                    pass_mark: float = PASS_MARK, min_attempts: int = 5) -> pd.DataFrame:
    """Per message, the share of a passed score lost after about `days` without practice: measured and fitted.

    Measured on attempts made 0.75x to 1.25x `days` after a passed attempt: 1 - mean score / mean passed score.
    `fitted_share_forgotten` is the model's forecast of those same attempts (from the state just before each);
    `model_share_forgotten` is what the model says for every retest after a pass at exactly `days`. `believe` says
    which to read when they differ: "agree" when the measured mean score is within AGREE_STANDARD_ERRORS standard
    errors or AGREE_POINTS of the fitted one (the fit, which pools every message and gap, is the steadier figure),
    "measured" when it is further (this message is forgotten unlike the model's curve: trust its own retests), and
    "fitted" with fewer than `min_attempts` retests (too few to measure).
    """
    attempts = _attempts(source)
    model = model or fit(attempts, pass_mark)
    retests = _passed_retests(model, attempts)
    last = pd.to_datetime(retests["last_practiced_at"])
    retests["at_days"] = model.predict_at(retests, last + pd.Timedelta(days=days))[1] if len(retests) else []
    retests["at_zero"] = model.predict_at(retests, last)[1] if len(retests) else []
    window = retests["days_since_last_practice"].between(0.75 * days, 1.25 * days)
    measured = (retests[window].groupby("message_id")
                .agg(n_attempts=("score", "size"), mean_days=("days_since_last_practice", "mean"),
                     score_before=("last_score", "mean"), score_after=("score", "mean"),
                     score_after_sd=("score", "std"), fitted_after=("fitted_score", "mean")))
    modelled = retests.groupby("message_id").agg(at_days=("at_days", "mean"), at_zero=("at_zero", "mean"))
    out = modelled.join(measured, how="left")
    out["n_attempts"] = out["n_attempts"].fillna(0).astype("int64")
    enough = out["n_attempts"] >= min_attempts
    out["share_forgotten"] = (1.0 - out["score_after"] / out["score_before"]).where(enough)
    out["model_share_forgotten"] = 1.0 - out["at_days"] / out["at_zero"]
    out["fitted_share_forgotten"] = (1.0 - out["fitted_after"] / out["score_before"]).where(out["n_attempts"] > 0)
    standard_error = out["score_after_sd"].fillna(0.0) / np.sqrt(out["n_attempts"].clip(lower=1))
    apart = (out["score_after"] - out["fitted_after"]).abs() > np.maximum(AGREE_STANDARD_ERRORS * standard_error,
                                                                            AGREE_POINTS)
    out["believe"] = np.where(~enough, "fitted", np.where(apart, "measured", "agree"))
    out["folk_share_forgotten"] = FOLK_SHARE_FORGOTTEN_30D
    out["days"] = float(days)
    return out.reset_index()[FORGOTTEN_COLUMNS]


def _passed_retests(model: MemoryModel, attempts: pd.DataFrame) -> pd.DataFrame:
    """Repeat attempts whose previous attempt on the same message passed, with the model's forecast of each."""
    retests = memory_eval.retests(model, attempts)
    return retests[retests["last_score"] >= model.pass_mark].reset_index(drop=True)


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
