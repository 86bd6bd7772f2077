"""The launch plan's path: the certified share planned for a date, and which messages are behind it.

Behind its plan: certified share below the plan's path, a straight line from 0 at launch to the adoption target on
the target date (the target itself afterwards, or when the plan has no target date); judged only for launched
messages with reps in scope.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from analytics.metrics.certification import summarize_certification
from analytics.metrics.missing import missing


def planned_share(launch_date, adoption_target, target_date, as_of: date) -> float:
    """The plan's certified share on `as_of`: a straight line from 0 at launch to the target on the target date."""
    if missing(adoption_target) or missing(launch_date):
        return float("nan")
    launch = pd.Timestamp(launch_date).date()
    if as_of < launch:
        return 0.0
    if missing(target_date) or pd.Timestamp(target_date).date() <= launch:
        return float(adoption_target)
    span = (pd.Timestamp(target_date).date() - launch).days
    return float(adoption_target) * min(1.0, (as_of - launch).days / span)


def plan_from_rows(rows: pd.DataFrame, messages: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """Per message: certified share on `as_of` (rep x message rows) against the plan; is_behind_plan when launched."""
    out = summarize_certification(rows, messages)
    out["planned_share"] = [planned_share(r.launch_date, r.adoption_target, r.target_date, as_of)
                            for r in out.itertuples()]
    launched = out["launch_date"].notna() & (pd.to_datetime(out["launch_date"]) <= pd.Timestamp(as_of))
    judged = launched & out["planned_share"].notna() & (out["reps_in_scope"] > 0)
    out["is_behind_plan"] = (out["certification_rate"] < out["planned_share"]).where(judged, False).astype(bool)
    return out
