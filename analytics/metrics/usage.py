"""Field usage: the one definition of "used", usage rates with intervals, the funnel certified -> used -> won, the gap.

Definitions (shown on the Field usage page):
- A rep *used* a message in an activity when the trackers matched it in words the rep said or wrote (speaker role
  `rep`), or in a source without speakers (`unknown`, e.g. a call export without speaker labels: counted as used,
  and how many are shown as `n_used_unknown_speaker`). A prospect saying it is not use (sql/macros/used_by_rep.sql).
- *Usage rate per call*: in-scope conversations (calls, meetings) in which the rep used the message / in-scope
  conversations. A conversation is in scope when its rep is in scope of the message (analytics.metrics.certification)
  and, when linked to a deal, the deal is in the message's target segment (sql/queries/usage_calls.sql). Weeks
  before launch are the trackers' baseline (false positives and organic use), never part of the rate.
- *Usage rate per deal*: in-scope closed deals (analytics.metrics.deals) with at least one recorded activity on or
  before the close on which a rep used the message before the close / those deals (sql/queries/usage_deals.sql).
  Deals without any recorded activity are left out: nothing can be said about them.
- Every rate comes with its counts and a 95 % Wilson score interval (analytics.intervals). It treats conversations as
  independent; one rep's conversations are alike, so with few reps the real uncertainty is wider.
- A rep *uses a message in calls* when they used it in at least MIN_USE_SHARE (10 %) of their in-scope
  conversations: one match in hundreds of calls is a tracker's false positive or a slip, not a rep who says it.
- *Funnel* per message, reps in scope at each stage, each stage inside the one before: certified; uses it in calls;
  used it on a deal (an in-scope closed deal); won a deal on which it was used. Reps who use it in calls without
  being certified are counted beside (`used_without_certification`).
- *Transfer gap*: certified in-scope reps with in-scope conversations since certifying who used the message in
  fewer than MIN_USE_SHARE of them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from analytics.intervals import wilson_interval
from analytics.metrics.certification import certification_rate

# A message whose certified reps mostly never say it: the Overview's "certified but not used" (views.overview).
GAP_SHARE = 0.5
MIN_USE_SHARE = 0.1
USAGE_BY = ("team", "manager", "rep")
FUNNEL = ("in scope", "certified", "uses it in calls", "used on a deal", "won with it")
FUNNEL_COLUMNS = {"in scope": "reps_in_scope", "certified": "reps_certified", "uses it in calls": "reps_used_call",
                  "used on a deal": "reps_used_deal", "won with it": "reps_won_used"}
CALL_COUNTS = ("n_calls", "n_used", "n_used_unknown_speaker", "n_calls_certified", "n_used_certified")
DEAL_COUNTS = ("n_deals", "n_used_deals", "n_won_used_deals")
RATE_COLUMNS = ["n_reps", "n_calls", "n_used", "n_used_unknown_speaker", "usage_rate", "ci_low", "ci_high"]


def usage_rate(used, total):
    """Used / total (conversations or deals): the one usage-rate definition; NaN when there are none."""
    return certification_rate(used, total)


def _with_rate(frame: pd.DataFrame, used: str, total: str) -> pd.DataFrame:
    out = frame.copy()
    out["usage_rate"] = usage_rate(out[used], out[total])
    out["ci_low"], out["ci_high"] = wilson_interval(out[used], out[total])
    return out


def group_keys(by: str | None) -> list[str]:
    """Grouping columns for `by` (none for None or "message"; "week" = weeks since launch), from USAGE_BY."""
    if by in (None, "message"):
        return []
    if by == "week":
        return ["weeks_since_launch"]
    if by not in USAGE_BY:
        raise ValueError(f"by must be one of {USAGE_BY}, not {by!r}")
    return ["rep_id", "rep_name", "team", "manager"] if by == "rep" else [by]


def call_rates(counts: pd.DataFrame, messages: pd.DataFrame, by: str | None = None,
               baseline: bool = False) -> pd.DataFrame:
    """Usage rate per call per message (and group), with reps, conversations, uses and interval.

    counts: rows of sql/queries/usage_call_counts.sql. Only weeks since launch >= 0 unless `baseline` (weeks before
    launch only, the trackers' false positives and organic use). Without `by` every message keeps a row.
    """
    keys = ["message_id"] + group_keys(by)
    weeks = counts["weeks_since_launch"]
    rows = counts[weeks < 0] if baseline else counts[weeks >= 0]
    rows = rows.assign(**{k: rows[k].fillna("(none)") for k in keys if k in ("team", "manager")})
    agg = (rows.groupby(keys, dropna=False, sort=False, as_index=False)
           .agg(n_reps=("rep_id", "nunique"), **{c: (c, "sum") for c in CALL_COUNTS}))
    return _per_message(agg, messages, by, keys, CALL_COUNTS, "n_used", "n_calls")


def _per_message(agg: pd.DataFrame, messages: pd.DataFrame, by: str | None, keys: list[str], counts: tuple,
                 used: str, total: str) -> pd.DataFrame:
    """Grouped counts joined to the catalog (every message kept without `by`), zeros filled, the rate, catalog order."""
    out = messages[["message_id", "message_name"]].merge(agg, on="message_id", how="left" if by is None else "inner")
    for column in ("n_reps", *counts):
        out[column] = out[column].fillna(0).astype("int64")
    return _in_catalog_order(_with_rate(out, used, total), messages, keys[1:])


def deal_rates(deals: pd.DataFrame, messages: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Usage rate per deal per message (and group): recorded in-scope closed deals, used ones, the interval."""
    keys = ["message_id"] + group_keys(by)
    if by == "week":
        raise ValueError("deal rates are not counted by week")
    rows = deals.assign(**{k: deals[k].fillna("(none)") for k in keys if k in ("team", "manager")})
    used = rows["is_used"].astype(bool)
    rows = rows.assign(is_used=used, is_won_used=used & rows["is_won"].astype(bool))
    agg = (rows.groupby(keys, dropna=False, sort=False, as_index=False)
           .agg(n_reps=("rep_id", "nunique"), n_deals=("deal_key", "size"), n_used_deals=("is_used", "sum"),
                n_won_used_deals=("is_won_used", "sum")))
    return _per_message(agg, messages, by, keys, DEAL_COUNTS, "n_used_deals", "n_deals")


def rep_usage(rep_rows: pd.DataFrame, counts: pd.DataFrame, deals: pd.DataFrame) -> pd.DataFrame:
    """One row per rep x message of rep_message with their in-scope conversations, uses and deals since launch."""
    after = counts[counts["weeks_since_launch"] >= 0]
    calls = after.groupby(["rep_id", "message_id"], as_index=False)[list(CALL_COUNTS)].sum()
    d = deals.assign(is_used=deals["is_used"].astype(bool), is_won=deals["is_won"].astype(bool))
    d = d.assign(is_won_used=d["is_used"] & d["is_won"])
    per_deal = (d.groupby(["rep_id", "message_id"], as_index=False)
                .agg(n_deals=("deal_key", "size"), n_used_deals=("is_used", "sum"),
                     n_won_used_deals=("is_won_used", "sum")))
    out = rep_rows.merge(calls, on=["rep_id", "message_id"], how="left") \
        .merge(per_deal, on=["rep_id", "message_id"], how="left")
    for column in (*CALL_COUNTS, *DEAL_COUNTS):
        out[column] = out[column].fillna(0).astype("int64")
    return out


def funnel_from_reps(reps: pd.DataFrame, messages: pd.DataFrame) -> pd.DataFrame:
    """Reps per message at each FUNNEL stage (each inside the one before), share of scope, used without certifying."""
    scoped = reps[reps["is_in_scope"].astype(bool)]
    certified = scoped["is_certified"].astype(bool)
    says = uses_in_calls(scoped["n_used"], scoped["n_calls"])
    call = certified & says
    deal = call & (scoped["n_used_deals"] > 0)
    won = deal & (scoped["n_won_used_deals"] > 0)
    flags = scoped.assign(_c=certified, _call=call, _deal=deal, _won=won,
                          _uncert=~certified & says, _any_call=scoped["n_calls"] > 0)
    agg = (flags.groupby("message_id", as_index=False)
           .agg(reps_in_scope=("rep_id", "size"), reps_certified=("_c", "sum"), reps_used_call=("_call", "sum"),
                reps_used_deal=("_deal", "sum"), reps_won_used=("_won", "sum"),
                used_without_certification=("_uncert", "sum"), reps_with_calls=("_any_call", "sum")))
    base = messages[["message_id", "message_name"]].merge(agg, on="message_id", how="left")
    for column in ("reps_in_scope", *FUNNEL_COLUMNS.values(), "used_without_certification", "reps_with_calls"):
        base[column] = base[column].fillna(0).astype("int64")
    frames = [pd.DataFrame({"message_id": base["message_id"], "message_name": base["message_name"], "stage": stage,
                            "step": step, "reps": base[FUNNEL_COLUMNS[stage]],
                            "share_of_scope": certification_rate(base[FUNNEL_COLUMNS[stage]], base["reps_in_scope"]),
                            "used_without_certification": base["used_without_certification"],
                            "reps_with_calls": base["reps_with_calls"]})
              for step, stage in enumerate(FUNNEL)]
    out = pd.concat(frames, ignore_index=True)
    out["_order"] = out["message_id"].map({m: i for i, m in enumerate(messages["message_id"])})
    return out.sort_values(["_order", "step"], ignore_index=True).drop(columns=["_order", "step"])


def uses_in_calls(used, calls) -> pd.Series:
    """Whether a rep uses a message in calls: used in at least MIN_USE_SHARE of their in-scope conversations."""
    used, calls = pd.Series(used).astype(float), pd.Series(calls).astype(float)
    return (calls > 0) & (used > 0) & (used >= MIN_USE_SHARE * calls)


def transfer_gap(reps: pd.DataFrame) -> pd.DataFrame:
    """Certified in-scope reps with in-scope conversations since certifying who used it in under MIN_USE_SHARE."""
    says = uses_in_calls(reps["n_used_certified"], reps["n_calls_certified"])
    gap = reps[reps["is_in_scope"].astype(bool) & reps["is_certified"].astype(bool)
               & (reps["n_calls_certified"] > 0) & ~says]
    gap = gap.assign(usage_rate=usage_rate(gap["n_used_certified"], gap["n_calls_certified"]))
    columns = ["message_id", "message_name", "rep_id", "rep_name", "team", "manager", "certified_at",
               "n_calls_certified", "n_used_certified", "usage_rate"]
    return gap[columns].sort_values(["message_id", "n_calls_certified"], ascending=[True, False],
                                    ignore_index=True)


def gap_share(reps: pd.DataFrame) -> pd.DataFrame:
    """Per message: certified in-scope reps with conversations since certifying, how many are in the transfer gap."""
    certified = reps[reps["is_in_scope"].astype(bool) & reps["is_certified"].astype(bool)
                     & (reps["n_calls_certified"] > 0)]
    out = (certified.assign(_gap=~uses_in_calls(certified["n_used_certified"], certified["n_calls_certified"]))
           .groupby("message_id", as_index=False)
           .agg(reps_certified_with_calls=("rep_id", "size"), reps_not_using=("_gap", "sum")))
    out["share_not_using"] = usage_rate(out["reps_not_using"], out["reps_certified_with_calls"])
    out["ci_low"], out["ci_high"] = wilson_interval(out["reps_not_using"], out["reps_certified_with_calls"])
    return out


def _in_catalog_order(frame: pd.DataFrame, messages: pd.DataFrame, extra: list[str]) -> pd.DataFrame:
    order = {m: i for i, m in enumerate(messages["message_id"])}
    out = frame.assign(_order=frame["message_id"].map(order))
    return out.sort_values(["_order", *extra], na_position="last", ignore_index=True, kind="stable") \
        .drop(columns="_order")
