"""The message scorecard: the report's one row per message (analytics.views.report), plus how well each one is retained.

Retention columns (None/NaN when the forgetting model cannot be fitted: too few repeat quiz attempts):
- reps_retained / retained_share: certified in-scope reps whose expected quiz score on `as_of` is at least the
  retention target (analytics.settings.RETENTION_TARGET), and their share of the certified in-scope reps (the Overview
  tile's definition, analytics.views.retention.retention_share);
- share_forgotten_30d: the share of a passed score lost about 30 days later, measured on retests 22 to 38 days
  after a pass (analytics.views.forgetting.forgotten_after), next to the folk figure of 90 %.
Usage columns: used_in_calls_share / calls_in_scope, the share of in-scope calls in which reps used the message and
the calls counted, company-wide (analytics.views.field.calls_share; NaN and 0 while no activity is loaded).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from analytics.estimators.memory import MemoryModel
from analytics.estimators.lift import N_BOOT
from analytics.filters import Filters
from analytics.metrics.evidence import EVIDENCE_TIERS, VERDICT_LABELS, describe_lift, verdict
from analytics.results import stored
from analytics.views.queries import catalog
from analytics.views.report import MESSAGE_KEYS, build_report, scorecard_frame
from analytics.views import field
from analytics.views.retention import forgotten, retention_share

RETENTION_KEYS = ("reps_retained", "retained_share", "share_forgotten_30d", "retests_30d")
# "Used in % of calls": the usage rate per in-scope call, company-wide (analytics.views.field; NaN without calls).
USAGE_KEYS = ("used_in_calls_share", "calls_in_scope")
COLUMNS = ("message_id", *MESSAGE_KEYS[:7], *RETENTION_KEYS, *USAGE_KEYS, *MESSAGE_KEYS[7:], "summary")
FORGOTTEN_DAYS = 30
# label -> (column, larger is better); "launch" keeps the launch plan's order.
SORTS = {
    "Launch order": (None, False),
    "Adjusted lift": ("adjusted_lift_pp", True),
    "Certification rate": ("certification_rate", True),
    "Retained share": ("retained_share", True),
    "Field rating": ("avg_rating", True),
    "Evidence": ("evidence", True),
}
EVIDENCE_RANK = {tier: rank for rank, tier in enumerate(reversed(EVIDENCE_TIERS))}


def message_scorecard(con, as_of: date | None = None, messages: tuple[str, ...] = (),
                      model: MemoryModel | None = None, n_boot: int = N_BOOT) -> pd.DataFrame:
    """One row per message: the report's fields, retention columns and the plain-language lift sentence."""
    frame = scorecard_rows(con, as_of or date.today(), model, n_boot)
    if messages:
        frame = frame[frame["message_id"].isin(messages)]
    return frame.reset_index(drop=True)


@stored()
def scorecard_rows(con, as_of: date, model: MemoryModel | None = None, n_boot: int = N_BOOT) -> pd.DataFrame:
    """Every message's scorecard row (message_scorecard before the message filter), stored for the default view."""
    report = build_report(con, as_of, n_boot=n_boot)
    frame = scorecard_frame(report)
    ids = catalog(con)[["message_id", "message_name"]]
    if list(ids["message_name"]) != list(frame["message"]):
        raise RuntimeError("the report's messages are not in the catalog's launch order")
    frame.insert(0, "message_id", ids["message_id"].to_numpy())
    frame["summary"] = [describe_lift(m) for m in report["messages"]]
    frame = frame.merge(retention_columns(con, as_of, model), on="message_id", how="left")
    frame = frame.merge(usage_columns(con, as_of), on="message_id", how="left")
    return frame[list(COLUMNS)].reset_index(drop=True)


def retention_columns(con, as_of: date, model: MemoryModel | None) -> pd.DataFrame:
    """Per message: certified reps expected above the retention target on as_of, and the measured 30-day loss."""
    out = catalog(con)[["message_id"]]
    if model is None:
        return out.assign(reps_retained=np.nan, retained_share=np.nan, share_forgotten_30d=np.nan, retests_30d=0)
    share = retention_share(con, Filters(), (as_of,), model)
    share = share.rename(columns={"n_above": "reps_retained", "share_above": "retained_share"})
    lost = forgotten(con, model, FORGOTTEN_DAYS)
    lost = lost.rename(columns={"share_forgotten": "share_forgotten_30d", "n_attempts": "retests_30d"})
    out = (out.merge(share[["message_id", "reps_retained", "retained_share"]], on="message_id", how="left")
           .merge(lost[["message_id", "share_forgotten_30d", "retests_30d"]], on="message_id", how="left"))
    out["retests_30d"] = out["retests_30d"].fillna(0).astype("int64")
    return out


def usage_columns(con, as_of: date) -> pd.DataFrame:
    """Per message: the share of in-scope calls in which reps used it, and the calls counted (none: NaN and 0)."""
    if not field.has_activities(con):
        return catalog(con)[["message_id"]].assign(used_in_calls_share=np.nan, calls_in_scope=0)
    return field.calls_share(con, as_of)


# What people read first: the answer (verdict, adjusted lift, its interval, the evidence), then the rest.
ANSWER_COLUMNS = ("message", "verdict", "adjusted_lift_pp", "ci_low_pp", "ci_high_pp", "evidence")
HEADERS = {
    "message": "Message", "verdict": "Reading", "adjusted_lift_pp": "Adjusted lift (pp)",
    "ci_low_pp": "Lift low (pp)", "ci_high_pp": "Lift high (pp)", "evidence": "Evidence",
    "certification_rate": "Certified (%)", "retained_share": "Retained (%)", "avg_rating": "Rating (1-5)",
    "launch_date": "Launch", "target_segment": "Target segment", "reps_in_scope": "Reps in scope",
    "reps_certified": "Certified reps", "median_days_to_certify": "Median days to certify",
    "reps_retained": "Retained reps", "share_forgotten_30d": "Forgotten after 30 days (%)",
    "retests_30d": "Retests at ~30 days", "used_in_calls_share": "Used in calls (%)",
    "calls_in_scope": "Calls in scope", "closed_deals_adopted": "Deals adopted",
    "closed_deals_not_adopted": "Deals not adopted", "reps_adopted": "Reps adopted",
    "reps_not_adopted": "Reps not adopted", "win_rate_adopted": "Win rate adopted (%)",
    "win_rate_not_adopted": "Win rate other (%)", "naive_lift_pp": "Naive lift (pp)", "feedback_count": "Feedback",
    "top_themes": "Field themes", "summary": "In words", "message_id": "Message id", "method": "Method",
}
KINDS = {
    "adjusted_lift_pp": "pp", "ci_low_pp": "pp", "ci_high_pp": "pp", "naive_lift_pp": "pp",
    "certification_rate": "pct", "retained_share": "pct", "share_forgotten_30d": "pct", "used_in_calls_share": "pct",
    "win_rate_adopted": "pct",
    "win_rate_not_adopted": "pct", "avg_rating": "rating", "median_days_to_certify": "days", "launch_date": "date",
}
ALL_DEALS = "All deals"


def for_people(frame: pd.DataFrame) -> pd.DataFrame:
    """The scorecard as people read it: answer columns first, a verdict per message, "All deals" for no segment."""
    out = frame.assign(
        verdict=[VERDICT_LABELS[verdict(r.adjusted_lift_pp, r.ci_low_pp, r.ci_high_pp, r.evidence)]
                 for r in frame.itertuples()],
        target_segment=frame["target_segment"].map(lambda v: ALL_DEALS if v is None or v != v or v == "" else v))
    rest = [c for c in out.columns if c not in ANSWER_COLUMNS]
    return out[[*ANSWER_COLUMNS, *rest]]


def sort_scorecard(frame: pd.DataFrame, by: str = "Launch order", descending: bool = True) -> pd.DataFrame:
    """The scorecard sorted by one of SORTS (missing values last); launch order is the catalog's order."""
    if by not in SORTS:
        raise ValueError(f"sort must be one of {list(SORTS)}, not {by!r}")
    column, _ = SORTS[by]
    if column is None:
        return frame.reset_index(drop=True)
    key = frame[column].map(EVIDENCE_RANK) if column == "evidence" else frame[column].astype(float)
    order = key.sort_values(ascending=not descending, na_position="last", kind="stable").index
    return frame.loc[order].reset_index(drop=True)
