"""The Adoption page's questions (and the Overview's adoption parts): certification under the sidebar filters.

Definitions of scope and certification: analytics.metrics.certification. Rows come from sql/queries/rep_message.sql
(analytics.views.queries.rep_message); groups below $HUDDLE_MIN_GROUP_SIZE reps are blanked in team / region /
manager breakdowns; the drill-down shows one group's reps and one rep's history, within the reps a manager may see.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from analytics.filters import Filters
from analytics.metrics.certification import (RATE_COLUMNS, curve_from_rows, funnel_stages, group_columns,
                                             summarize_certification, trend_from_rows)
from analytics.metrics.deals import win_rate
from analytics.metrics.groups import suppress_small_groups
from analytics.metrics.plan import plan_from_rows
from analytics.views import field
from analytics.views.queries import catalog, rep_message, run

BY_FILTER = {"team": "teams", "region": "regions", "manager": "managers"}


def certification(con, filters: Filters = Filters(), as_of: date | None = None, by: str | None = None,
                  min_size: int | None = None) -> pd.DataFrame:
    """Certification per message, or per message x team / region / manager with groups below `min_size` blanked."""
    out = summarize_certification(rep_message(con, filters, as_of), catalog(con, filters), by)
    if by is not None:
        out = suppress_small_groups(out, "reps_in_scope", RATE_COLUMNS, min_size)
    return out


def funnel(con, filters: Filters = Filters(), as_of: date | None = None) -> pd.DataFrame:
    """Reps per message at each stage: in scope, attempted, passed, passed within 30 days of launch."""
    return funnel_stages(certification(con, filters, as_of))


def usage_funnel(con, filters: Filters = Filters(), as_of: date | None = None) -> pd.DataFrame:
    """Reps per message from certified to using it in calls, on a deal, and won with it (analytics.views.field.funnel);
    no rows while no activity is loaded, so the page says nothing about usage."""
    if not field.has_activities(con):
        return pd.DataFrame(columns=["message_id", "message_name", "stage", "reps", "share_of_scope",
                                     "used_without_certification", "reps_with_calls"])
    return field.funnel(con, filters, as_of)


def time_to_certify(con, filters: Filters = Filters(), as_of: date | None = None) -> pd.DataFrame:
    """Days from launch to certification of each certified in-scope rep (no rep identity), per message."""
    rows = rep_message(con, filters, as_of)
    done = rows[rows["is_in_scope"].astype(bool) & rows["is_certified"].astype(bool)]
    return done[["message_id", "message_name", "days_to_certify"]].astype({"days_to_certify": "int64"}) \
        .reset_index(drop=True)


def adoption_trend(con, filters: Filters = Filters(), as_of: date | None = None) -> pd.DataFrame:
    """Cumulative share of in-scope reps certified, week by week from each message's launch up to `as_of`."""
    as_of = as_of or date.today()
    return trend_from_rows(rep_message(con, filters, as_of), catalog(con, filters), as_of)


def certification_curve(con, filters: Filters = Filters(), weeks: int | None = None,
                        as_of: date | None = None) -> pd.DataFrame:
    """Cumulative share of in-scope reps certified by each week since launch, until the last certification."""
    return curve_from_rows(rep_message(con, filters, as_of), weeks)


def plan_status(con, filters: Filters = Filters(), as_of: date | None = None) -> pd.DataFrame:
    """Per message: certified share now against the launch plan's path; is_behind_plan only for launched messages."""
    as_of = as_of or date.today()
    return plan_from_rows(rep_message(con, filters, as_of), catalog(con, filters), as_of)


def narrowed(filters: Filters, by: str, group: str) -> Filters | None:
    """The filters narrowed to one team, region or manager; None when the sidebar already excludes that group."""
    field = BY_FILTER[group_columns(by)[0]]
    current = getattr(filters, field)
    if current and group not in current:
        return None
    return replace(filters, **{field: (group,)})


def group_reps(con, filters: Filters, as_of: date | None, by: str, group: str) -> pd.DataFrame:
    """One row per rep of a team / region / manager: their status on each message (rep-level, for drill-down)."""
    scoped = narrowed(filters, by, group)
    rows = rep_message(con, scoped, as_of) if scoped is not None else rep_message(con, filters, as_of).iloc[0:0]
    status = np.select(
        [~rows["is_in_scope"].astype(bool), rows["is_certified"].astype(bool), rows["n_attempts"] > 0],
        ["not in scope",
         "certified " + pd.to_datetime(rows["certified_at"]).dt.strftime("%Y-%m-%d").fillna(""),
         "attempted, not passed (" + rows["n_attempts"].astype(str) + ")"],
        "not started")
    long = rows.assign(status=status)
    wide = long.pivot_table(index=["rep_id", "rep_name"], columns="message_name", values="status",
                            aggfunc="first", sort=False)
    order = [m for m in catalog(con, filters)["message_name"] if m in wide.columns]
    wide = wide[order].reset_index()
    wide.columns.name = None
    certified = long.groupby("rep_id")["is_certified"].sum()
    wide.insert(2, "messages_certified", wide["rep_id"].map(certified).fillna(0).astype("int64"))
    return wide.sort_values("rep_name", ignore_index=True)


def rep_history(con, filters: Filters, rep_id: str, as_of: date | None = None) -> dict[str, pd.DataFrame]:
    """One rep's attempts, certification per message and closed deals in scope, if the filters let the user see them."""
    if filters.rep_ids is not None and rep_id not in filters.rep_ids:
        visible = replace(filters, rep_ids=())
    else:
        visible = replace(filters, rep_ids=(rep_id,))
    params = {**visible.params(), "rep_id": rep_id, "as_of": as_of, "date_from": None, "date_to": None,
              "message_id": None}
    attempts = run(con, "queries/rep_attempts", params)
    status = rep_message(con, visible, as_of)[["message_id", "message_name", "launch_date", "is_in_scope",
                                               "n_attempts", "first_attempt_at", "certified_at",
                                               "days_to_certify"]]
    deals = run(con, "queries/rep_deals", params)
    deals = status[["message_id", "message_name"]].merge(deals, on="message_id", how="inner")
    deals["win_rate_in_scope"] = win_rate(deals["n_won_in_scope"], deals["n_closed_in_scope"] - deals["n_won_in_scope"])
    deals["win_rate_adopted"] = win_rate(deals["n_won_adopted"], deals["n_closed_adopted"] - deals["n_won_adopted"])
    return {"attempts": attempts, "certification": status.reset_index(drop=True), "deals": deals}
