"""Adoption: the one definition of scope, certification rate, time to certify and the certification funnel.

A rep is *in scope* of a message when the message has no target segment, or the rep owns at least one opportunity
in that segment. A rep is *certified* at their first passed attempt for the message; certification rate is
certified in-scope reps / in-scope reps. Days to certify count from launch (a pilot certified before launch: 0).
Reps considered are those on the roster, owning an opportunity, or with a quiz attempt (see fct_rep_message.sql).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from analytics.db import sql

BY = ("team", "region", "manager")
FUNNEL = ("in scope", "attempted", "passed", "passed within 30 days")
MESSAGE_COLUMNS = ["message_id", "message_name", "launch_date", "target_segment", "adoption_target", "target_date"]


def certification_rate(certified, in_scope):
    """Certified in-scope reps / in-scope reps: the one certification-rate definition; NaN when none in scope."""
    certified = np.asarray(certified, dtype=float)
    in_scope = np.asarray(in_scope, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(in_scope > 0, certified / np.where(in_scope > 0, in_scope, 1), np.nan)
    return float(out) if out.ndim == 0 else out


def rep_message(con, as_of: date | None = None, team: str | None = None, region: str | None = None,
                manager: str | None = None, segment: str | None = None) -> pd.DataFrame:
    """One row per rep x message (fct_rep_message), filtered by the rep's team, region, manager or segment."""
    params = {"as_of": as_of, "team": team, "region": region, "manager": manager, "segment": segment}
    return con.execute(sql("marts/fct_rep_message.sql"), params).df()


def certification_by(con, by: str | None = None, as_of: date | None = None, team: str | None = None,
                     region: str | None = None, manager: str | None = None,
                     segment: str | None = None) -> pd.DataFrame:
    """Certification per message (and per team, region or manager when `by` names one)."""
    keys = MESSAGE_COLUMNS + _by(by)
    rows = rep_message(con, as_of, team, region, manager, segment)
    rows = rows[rows["is_in_scope"]].copy()
    rows["is_attempted"] = rows["n_attempts"] > 0
    rows["certified_days"] = rows["days_to_certify"].astype(float).where(rows["is_certified"])
    out = (rows.groupby(keys, dropna=False, sort=False, as_index=False)
           .agg(reps_in_scope=("rep_id", "size"), reps_attempted=("is_attempted", "sum"),
                reps_certified=("is_certified", "sum"), reps_certified_30d=("is_certified_30d", "sum"),
                median_days_to_certify=("certified_days", "median")))
    out = _with_all_messages(con, out, keys)
    out["certification_rate"] = certification_rate(out["reps_certified"], out["reps_in_scope"])
    out["certification_rate_30d"] = certification_rate(out["reps_certified_30d"], out["reps_in_scope"])
    target = out["adoption_target"].astype(float)
    out["meets_target"] = (out["certification_rate"] >= target).astype(object).where(target.notna(), None)
    return out.sort_values(["launch_date", "message_id"] + _by(by), na_position="last", ignore_index=True)


def certification_curve(con, weeks: int | None = None, as_of: date | None = None, **filters) -> pd.DataFrame:
    """Cumulative share of in-scope reps certified by each week since launch, per message."""
    rows = rep_message(con, as_of, **filters)
    rows = rows[rows["is_in_scope"]]
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


def funnel(con, as_of: date | None = None, **filters) -> pd.DataFrame:
    """Reps per message at each funnel stage: in scope, attempted, passed, passed within 30 days of launch."""
    c = certification_by(con, None, as_of, **filters)
    counts = {"in scope": "reps_in_scope", "attempted": "reps_attempted", "passed": "reps_certified",
              "passed within 30 days": "reps_certified_30d"}
    out = c.melt(id_vars=["message_id", "message_name"], value_vars=list(counts.values()),
                 var_name="column", value_name="reps")
    out["stage"] = out["column"].map({v: k for k, v in counts.items()})
    in_scope = out["message_id"].map(c.set_index("message_id")["reps_in_scope"])
    out["share_of_scope"] = certification_rate(out["reps"], in_scope)
    out["step"] = out["stage"].map({s: i for i, s in enumerate(FUNNEL)})
    out["order"] = out["message_id"].map({m: i for i, m in enumerate(c["message_id"])})
    out = out.sort_values(["order", "step"], ignore_index=True)
    return out[["message_id", "message_name", "stage", "reps", "share_of_scope"]]


def _by(by: str | None) -> list[str]:
    if by in (None, "message"):
        return []
    if by not in BY:
        raise ValueError(f"by must be one of {BY}, not {by!r}")
    return [by]


def _with_all_messages(con, out: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Messages with no rep in scope still get a row (zeros), so no message disappears for being small."""
    messages = con.execute(sql("marts/dim_messages.sql")).df()[MESSAGE_COLUMNS]
    missing = messages[~messages["message_id"].isin(out["message_id"])]
    if missing.empty:
        return out
    extra = missing.assign(**{k: None for k in keys if k not in MESSAGE_COLUMNS},
                           reps_in_scope=0, reps_attempted=0, reps_certified=0, reps_certified_30d=0,
                           median_days_to_certify=np.nan)
    return pd.concat([out, extra[out.columns]], ignore_index=True) if len(out) else extra[out.columns]
