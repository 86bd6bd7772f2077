"""Certification: the one definition of scope, certification rate, time to certify, the funnel and adoption curves.

A rep is *in scope* of a message when the message has no target segment, or the rep owns at least one opportunity
in that segment. A rep is *certified* at their first passed attempt for the message; certification rate is
certified in-scope reps / in-scope reps. Days to certify count from launch (a pilot certified before launch: 0).
Reps considered are those on the roster, owning an opportunity, or with a quiz attempt (sql/queries/rep_message.sql
gives one row per rep x message with these definitions; the functions here summarize those rows).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

BY = ("team", "region", "manager")
FUNNEL = ("in scope", "attempted", "passed", "passed within 30 days")
FUNNEL_COLUMNS = {"in scope": "reps_in_scope", "attempted": "reps_attempted", "passed": "reps_certified",
                  "passed within 30 days": "reps_certified_30d"}
MESSAGE_COLUMNS = ["message_id", "message_name", "launch_date", "target_segment", "adoption_target", "target_date"]
RATE_COLUMNS = ["reps_attempted", "reps_certified", "reps_certified_30d", "median_days_to_certify",
                "certification_rate", "certification_rate_30d"]
COUNT_COLUMNS = ("reps_in_scope", "reps_attempted", "reps_certified", "reps_certified_30d")


def certification_rate(certified, in_scope):
    """Certified in-scope reps / in-scope reps: the one certification-rate definition; NaN when none in scope."""
    certified = np.asarray(certified, dtype=float)
    in_scope = np.asarray(in_scope, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(in_scope > 0, certified / np.where(in_scope > 0, in_scope, 1), np.nan)
    return float(out) if out.ndim == 0 else out


def group_columns(by: str | None) -> list[str]:
    """The grouping column for `by` (none for None or "message"), from the allow-list BY."""
    if by in (None, "message"):
        return []
    if by not in BY:
        raise ValueError(f"by must be one of {BY}, not {by!r}")
    return [by]


def summarize_certification(rows: pd.DataFrame, messages: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Certification per message (and group): reps in scope, attempted, certified, within 30 days, rates, target met.

    Without `by` every message keeps a row (zeros when nobody is in scope), so no message disappears for being small.
    """
    keys = ["message_id"] + group_columns(by)
    scoped = rows[rows["is_in_scope"].astype(bool)].copy()
    scoped["is_attempted"] = scoped["n_attempts"] > 0
    scoped["certified_days"] = scoped["days_to_certify"].astype(float).where(scoped["is_certified"].astype(bool))
    counts = (scoped.groupby(keys, dropna=False, sort=False, as_index=False)
              .agg(reps_in_scope=("rep_id", "size"), reps_attempted=("is_attempted", "sum"),
                   reps_certified=("is_certified", "sum"), reps_certified_30d=("is_certified_30d", "sum"),
                   median_days_to_certify=("certified_days", "median")))
    info = messages[MESSAGE_COLUMNS]
    out = info.merge(counts, on="message_id", how="left" if by is None else "inner")
    for column in COUNT_COLUMNS:
        out[column] = out[column].fillna(0).astype("int64")
    out["certification_rate"] = certification_rate(out["reps_certified"], out["reps_in_scope"])
    out["certification_rate_30d"] = certification_rate(out["reps_certified_30d"], out["reps_in_scope"])
    target = out["adoption_target"].astype(float)
    out["meets_target"] = (out["certification_rate"] >= target).astype(object).where(target.notna(), None)
    order = {m: i for i, m in enumerate(messages["message_id"])}
    out["_order"] = out["message_id"].map(order)
    return out.sort_values(["_order"] + group_columns(by), na_position="last", ignore_index=True) \
        .drop(columns="_order")


def funnel_stages(summary: pd.DataFrame) -> pd.DataFrame:
    """Reps per message at each FUNNEL stage and their share of the reps in scope, from summarize_certification."""
    frames = [pd.DataFrame({"message_id": summary["message_id"], "message_name": summary["message_name"],
                            "stage": stage, "step": step, "reps": summary[FUNNEL_COLUMNS[stage]].astype("int64"),
                            "share_of_scope": certification_rate(summary[FUNNEL_COLUMNS[stage]],
                                                                 summary["reps_in_scope"])})
              for step, stage in enumerate(FUNNEL)]
    out = pd.concat(frames, ignore_index=True)
    out["_order"] = out["message_id"].map({m: i for i, m in enumerate(summary["message_id"])})
    return out.sort_values(["_order", "step"], ignore_index=True).drop(columns=["_order", "step"])


def trend_from_rows(rows: pd.DataFrame, messages: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Cumulative share of in-scope reps certified, week by week from each message's launch up to `as_of`."""
    rows = rows[rows["is_in_scope"].astype(bool)]
    frames = []
    for message in messages.itertuples():
        if pd.isna(message.launch_date) or pd.Timestamp(message.launch_date).date() > as_of:
            continue
        launch = pd.Timestamp(message.launch_date).date()
        group = rows[rows["message_id"] == message.message_id]
        if group.empty:
            continue
        days = group["days_to_certify"].dropna().to_numpy(dtype=float)
        week = np.arange((as_of - launch).days // 7 + 1)
        certified = (days[None, :] <= 7 * week[:, None]).sum(1) if len(days) else np.zeros(len(week), int)
        frames.append(pd.DataFrame({
            "message_id": message.message_id, "message_name": message.message_name, "launch_date": launch,
            "week_start": [launch + timedelta(days=7 * int(w)) for w in week], "weeks_since_launch": week,
            "reps_in_scope": len(group), "reps_certified": certified}))
    columns = ["message_id", "message_name", "launch_date", "week_start", "weeks_since_launch", "reps_in_scope",
               "reps_certified"]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
    out["certified_share"] = certification_rate(out["reps_certified"], out["reps_in_scope"])
    return out


def curve_from_rows(rows: pd.DataFrame, weeks: int | None = None) -> pd.DataFrame:
    """Cumulative share of in-scope reps certified by each week since launch, until the last certification."""
    rows = rows[rows["is_in_scope"].astype(bool)]
    frames = []
    for (message_id, launch), g in rows.groupby(["message_id", "launch_date"], sort=False, dropna=False):
        days = g["days_to_certify"].dropna().to_numpy(dtype=float)
        horizon = weeks if weeks is not None else int(days.max() // 7) + 1 if len(days) else 0
        week = np.arange(horizon + 1)
        certified = (days[None, :] <= 7 * week[:, None]).sum(1) if len(days) else np.zeros(len(week), int)
        frames.append(pd.DataFrame({"message_id": message_id, "launch_date": launch, "weeks_since_launch": week,
                                    "reps_in_scope": len(g), "reps_certified": certified}))
    cols = ["message_id", "launch_date", "weeks_since_launch", "reps_in_scope", "reps_certified"]
    out = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
    out["certified_share"] = certification_rate(out["reps_certified"], out["reps_in_scope"])
    return out
