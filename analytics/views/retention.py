"""The Retention page's questions: the memory model's forecasts under the sidebar filters, shares above target.

Forecasts come from analytics.views.forgetting (the memory model fitted on every graded attempt); this module keeps
the rows of the reps and messages the filters allow -- team, region, manager, segment and message lists, and the reps a
manager may see (`Filters.rep_ids`, applied in SQL by analytics.views.queries.rep_message). Fading retention (the
Overview's attention list): fewer than FADING_SHARE of a message's certified reps expected at or above the
retention target score today.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from analytics.estimators.memory import MemoryModel, NotEnoughHistory
from analytics.figures.retention import PREDICTOR_LABELS
from analytics.filters import Filters
from analytics.metrics.groups import suppress_small_groups
from analytics.results import stored
from analytics.safe_csv import write_csv
from analytics.settings import RETENTION_TARGET
from analytics.views import forgetting, practice
from analytics.views.queries import catalog, rep_message

# The columns of `python -m analytics forecast` (its CSV is the page's forecast download).
FORECAST_CSV_COLUMNS = forgetting.FORECAST_PUBLIC_COLUMNS
REINFORCE_COLUMNS = ["rep_name", "team", "manager", "message", "expected_score", "reinforce_by", "days_left",
                     "last_practiced", "n_attempts", "rep_email", "status", *forgetting.STAKE_COLUMNS]
HEAT_BY = ("team", "rep")
FORGOTTEN_DAYS = 30
FADING_SHARE = 0.5
TREND_WEEKS = 26            # the weeks the share-above-target trend shows first
TREND_WEEKS_OFFERED = (8, 13, 26, 52)


@stored()
def retention_model(con) -> MemoryModel | None:
    """The memory model fitted on every graded attempt, or None below MIN_REPEAT_ATTEMPTS repeat attempts."""
    try:
        return practice.fit(practice.load_attempts(con))
    except NotEnoughHistory:
        return None


def share_above_target(certified: pd.DataFrame, scores: pd.DataFrame, target: float = RETENTION_TARGET) -> pd.DataFrame:
    """Per date and message, the share of certified pairs expected at or above target (unscored pairs count below)."""
    merged = certified[["on_date", "rep_id", "message_id"]].merge(
        scores[["on_date", "rep_id", "message_id", "expected_score"]], on=["on_date", "rep_id", "message_id"],
        how="left")
    merged["is_above"] = merged["expected_score"].astype(float).fillna(-1.0) >= target
    out = (merged.groupby(["on_date", "message_id"], as_index=False)
           .agg(n_certified=("rep_id", "size"), n_above=("is_above", "sum")))
    out["share_above"] = out["n_above"] / out["n_certified"]
    return out


def retention_share(con, filters: Filters, on_dates: tuple[date, ...], model: MemoryModel | None, *,
                    rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per date and message, the share of certified in-scope reps expected at or above the retention target."""
    # rows: rep_message(con, filters, max(on_dates)) when the caller has it already. The same counts as
    # share_above_target(certified_on(...), practiced scores), from one row per pair instead of one per pair and date:
    # which pairs are above target on each date does not depend on the filters and is stored (analytics.refresh).
    columns = ["on_date", "message_id", "n_certified", "n_above", "share_above"]
    if model is None or not on_dates:
        return pd.DataFrame(columns=columns)
    above = above_target(con, tuple(on_dates), model)
    rows = rep_message(con, filters, max(on_dates)) if rows is None else rows
    rows = rows[rows["is_in_scope"].astype(bool) & rows["is_certified"].astype(bool)]
    pairs = rows[["rep_id", "message_id"]].merge(above, on=["rep_id", "message_id"], how="left")
    days = sorted(dict.fromkeys(pd.Timestamp(d).normalize() for d in on_dates))
    when = np.array(days, dtype="datetime64[ns]")[None, :]
    certified_day = pd.to_datetime(rows["certified_at"]).dt.normalize().to_numpy(dtype="datetime64[ns]")[:, None]
    since = pd.to_datetime(rows["in_scope_since"]).to_numpy(dtype="datetime64[ns]")[:, None]
    launch = pd.to_datetime(rows["launch_date"]).to_numpy(dtype="datetime64[ns]")[:, None]
    on = (certified_day <= when) & (np.isnat(since) | (since <= when)) & (launch <= when)   # pairs x dates
    above_on = pairs[[_above_column(d) for d in days]].eq(True).to_numpy() & on
    message = pairs["message_id"].to_numpy()
    n_certified = pd.DataFrame(on.astype("int64"), columns=days).groupby(message, sort=True).sum()
    n_above = pd.DataFrame(above_on.astype("int64"), columns=days).groupby(message, sort=True).sum()
    out = pd.DataFrame({
        "on_date": np.repeat(days, len(n_certified)) if len(n_certified) else [],
        "message_id": np.tile(n_certified.index.to_numpy(dtype=object), len(days)),
        "n_certified": n_certified.to_numpy().T.ravel(), "n_above": n_above.to_numpy().T.ravel()})
    out = out[out["n_certified"] > 0].reset_index(drop=True)
    out["on_date"] = [d.date() for d in out["on_date"]]
    out["n_certified"] = out["n_certified"].astype("int64")
    out["n_above"] = out["n_above"].astype("int64")
    out["share_above"] = out["n_above"] / out["n_certified"]
    return out[columns]


def _above_column(day) -> str:
    return f"above_{pd.Timestamp(day):%Y-%m-%d}"


def _above_key(con, arguments: dict) -> dict:
    """above_target's arguments with the dates as days, in order and once each."""
    days = sorted({pd.Timestamp(d).normalize().date().isoformat() for d in arguments["on_dates"]})
    return {**arguments, "on_dates": days}


@stored(key=_above_key)
def above_target(con, on_dates: tuple[date, ...], model: MemoryModel, target: float = RETENTION_TARGET
                 ) -> pd.DataFrame:
    """Per practiced rep x message, whether its expected score is at or above target on each date (one column
    `above_YYYY-MM-DD` per date; a pair not yet practiced on a date is below)."""
    days = sorted({pd.Timestamp(d).normalize() for d in on_dates})
    scores = forgetting.practiced_scores(con, list(days), target=target, model=model)
    scores = scores.assign(on_date=pd.to_datetime(scores["on_date"]).dt.normalize(),
                           is_above=scores["expected_score"].astype(float).fillna(-1.0) >= target)
    wide = scores.pivot_table(index=["rep_id", "message_id"], columns="on_date", values="is_above",
                              aggfunc="max", fill_value=False)
    wide = wide.reindex(columns=days, fill_value=False).astype(bool)
    wide.columns = [_above_column(d) for d in days]
    out = wide.reset_index()
    out["rep_id"] = out["rep_id"].astype(object)
    out["message_id"] = out["message_id"].astype(object)
    return out


def certified_on(con, filters: Filters, on_dates: tuple[date, ...], *,
                 rows: pd.DataFrame | None = None) -> pd.DataFrame:
    """The certified in-scope rep x message pairs of launched messages on each date (rep_id, message_id, on_date)."""
    # One rep_message as of the last date serves every date: a pair certified on an earlier day d has its first pass
    # on or before d, is in scope on d once its segment deal had closed (in_scope_since), and its message launched.
    columns = ["rep_id", "message_id", "on_date"]
    if not on_dates:
        return pd.DataFrame(columns=columns)
    rows = rep_message(con, filters, max(on_dates)) if rows is None else rows
    rows = rows[rows["is_in_scope"].astype(bool) & rows["is_certified"].astype(bool)]
    certified_day = pd.to_datetime(rows["certified_at"]).dt.normalize()
    since = pd.to_datetime(rows["in_scope_since"])
    launch = pd.to_datetime(rows["launch_date"])
    frames = []
    for day in on_dates:
        when = pd.Timestamp(day)
        on = (certified_day <= when) & (since.isna() | (since <= when)) & (launch <= when)
        frames.append(rows.loc[on, ["rep_id", "message_id"]].assign(on_date=day))
    return pd.concat(frames, ignore_index=True)[columns]


def scoped(con, frame: pd.DataFrame, filters: Filters, on_date: date) -> pd.DataFrame:
    """The rows of a rep x message frame whose rep and message the filters keep (dates do not restrict reps)."""
    scope = replace(filters, start=None, end=None)
    if scope == Filters():
        return frame.reset_index(drop=True)
    pairs = rep_message(con, scope, on_date)[["rep_id", "message_id"]].drop_duplicates()
    return frame.merge(pairs, on=["rep_id", "message_id"], how="inner")


def forecast(con, filters: Filters, on_date: date, fitted: MemoryModel | None) -> pd.DataFrame:
    """Expected score of every rep x message the filters keep on one date (forgetting.forecast rows and order)."""
    rows = forgetting.forecast(con, [on_date], model=fitted)   # without a model: every pair, no scores
    return scoped(con, rows, filters, on_date)


def forecast_csv_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The forecast as `python -m analytics forecast` prints it: its columns, ISO dates, rounded scores."""
    return forgetting.forecast_rows(frame).reset_index(drop=True)


def reinforcement(con, filters: Filters, today: date, fitted: MemoryModel | None,
                  horizon_days: int = 7) -> pd.DataFrame:
    """The reinforcement list (forgetting.reinforcement_list: due this week, then overdue by stake) in the filters."""
    if fitted is None:
        return pd.DataFrame(columns=[*REINFORCE_COLUMNS, "rep_id", "message_id"])
    return due(forecast(con, filters, today, fitted), today, horizon_days)


def due(scores: pd.DataFrame, today: date, horizon_days: int = 7) -> pd.DataFrame:
    """The reinforcement list from this page's forecast rows (forecast()), without forecasting again."""
    return forgetting.due(scores, today, horizon_days)[[*REINFORCE_COLUMNS, "rep_id", "message_id"]]


def reinforcement_csv(due_rows: pd.DataFrame) -> str:
    """The reinforcement list's download: its page columns, formula-safe."""
    return write_csv(due_rows[REINFORCE_COLUMNS])


def forecast_csv(scores: pd.DataFrame) -> str:
    """The forecast download: the rows of `python -m analytics forecast`, formula-safe."""
    return write_csv(forecast_csv_rows(scores))


def score_cells(scores: pd.DataFrame, by: str = "team", min_size: int | None = None) -> pd.DataFrame:
    """Mean expected score of trained reps per team (or rep) x message; teams below min_size reps are blanked."""
    if by not in HEAT_BY:
        raise ValueError(f"by must be one of {HEAT_BY}, not {by!r}")
    column = "team" if by == "team" else "rep_name"
    trained = scores[(scores["n_attempts"] > 0) & scores["expected_score"].notna()]
    keys = [column, "rep_id"] if by == "rep" else [column]
    out = (trained.assign(**{column: trained[column].fillna("(none)")})
           .groupby([*keys, "message"], as_index=False, sort=True)
           .agg(expected_score=("expected_score", "mean"), n_reps=("rep_id", "nunique")))
    out = out.rename(columns={column: "group"})
    if by == "rep":
        # two reps with one name stay two rows
        dup = out.groupby("group")["rep_id"].transform("nunique") > 1
        out["group"] = out["group"].where(~dup, out["group"] + " (" + out["rep_id"] + ")")
        out = out.drop(columns="rep_id")
        out["is_suppressed"] = False
        return out
    return suppress_small_groups(out, "n_reps", ["expected_score"], min_size)


def trend_dates(on_date: date, weeks: int = TREND_WEEKS) -> tuple[date, ...]:
    """The trend's dates: `on_date` and each week back over `weeks` weeks, oldest first."""
    return tuple(on_date - timedelta(weeks=k) for k in range(weeks, -1, -1))


def share_trend(con, filters: Filters, on_date: date, weeks: int, fitted: MemoryModel | None
                ) -> pd.DataFrame:
    """Weekly share of certified in-scope reps expected at or above the target, over the last `weeks` weeks."""
    # the memory states on these dates do not depend on the filters: stored for the default weeks (analytics.refresh)
    out = retention_share(con, filters, trend_dates(on_date, weeks), fitted)
    names = catalog(con)[["message_id", "message_name"]]
    return out.merge(names, on="message_id", how="left")


@stored()
def curves(con, fitted: MemoryModel | None) -> pd.DataFrame:
    """Observed and fitted mean retest score by days since a passed attempt, per message (whole organization)."""
    if fitted is None:
        return pd.DataFrame(columns=["message_id", "message_name", "days_bin", "days_since_last_practice",
                                     "n_attempts", "observed_score", "fitted_score"])
    out = forgetting.forgetting_curve(con, model=fitted)
    return _named(con, out)


@stored()
def forgotten(con, fitted: MemoryModel | None, days: int = FORGOTTEN_DAYS) -> pd.DataFrame:
    """Per message, the share of a passed score lost after `days` days: measured, fitted, which to believe, folk."""
    if fitted is None:
        return pd.DataFrame(columns=["message_id", "message_name", *forgetting.FORGOTTEN_COLUMNS[1:]])
    return _named(con, forgetting.forgotten_after(con, days, model=fitted))


@stored()
def evaluation(con) -> dict | None:
    """The time-ordered evaluation (log loss, AUC, MAE and calibration of the model, FSRS-6, the last outcome and
    the mean); None: too little history."""
    try:
        out = practice.evaluate(con)
    except NotEnoughHistory:
        return None
    out["metrics"] = out["metrics"].drop(columns="fit_seconds")      # wall-clock time: no part of the answer
    return {k: v for k, v in out.items() if k != "model"}


def evaluation_table(evaluation: dict) -> pd.DataFrame:
    """The evaluation's metrics for people: one row per forecast (named), log loss, AUC, MAE and calibration gap."""
    table = evaluation["metrics"].set_index("predictor")
    table = table.assign(calibration_gap=calibration_gaps(evaluation["calibration"])).reset_index()
    table["predictor"] = table["predictor"].map(PREDICTOR_LABELS).fillna(table["predictor"])
    return table[["predictor", "log_loss", "auc", "mae", "calibration_gap"]].rename(columns={
        "predictor": "Forecast", "log_loss": "Log loss (pass/fail)", "auc": "AUC", "mae": "Score error (MAE)",
        "calibration_gap": "Calibration gap"})


def calibration_gaps(calibration: pd.DataFrame) -> pd.Series:
    """Per predictor, the attempt-weighted mean distance between forecast and observed pass rate over its bins."""
    gap = (calibration["predicted_mean"] - calibration["observed_mean"]).abs() * calibration["n"]
    totals = calibration.assign(gap=gap).groupby("predictor", sort=False)[["gap", "n"]].sum()
    return totals["gap"] / totals["n"]


def _named(con, frame: pd.DataFrame) -> pd.DataFrame:
    """Message names added, rows in the launch plan's order."""
    names = catalog(con)[["message_id", "message_name"]]
    order = {m: i for i, m in enumerate(names["message_id"])}
    out = frame.merge(names, on="message_id", how="left")
    out = out.assign(_order=out["message_id"].map(order)).sort_values("_order", kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)
