"""The Field usage page's questions: is each message said to prospects, by whom, on which deals, and does it win?

Definitions of "used", the usage rates, the funnel and the transfer gap: analytics.metrics.usage. Scope and
certification: analytics.metrics.certification; the launch plan: analytics.metrics.plan; deals in scope:
analytics.metrics.deals. Every sidebar filter is bound in SQL (sql/queries/usage_*.sql): conversations count up to
the end date, deals as on the Win-rate impact page (closed in the selected dates).

Usage lift, the third definition beside "certified" and "tagged": deals on which a rep used the message before the
close, against the other in-scope deals with recorded activity, by the same adjusted estimator
(analytics.estimators.lift.ImputationLift, rep + month fixed effects, rep bootstrap). Reps choose to use a message deal
by deal, and may do so because a deal is going well, so the timing test fits the lift twice more: deals whose first
use came more than LATE_DAYS days before the close, and deals used only in the last LATE_DAYS days. A lift that lives
in the late uses alone (late minus early above zero, interval excluding it) is what usage following good deals
looks like. The CRM export holds only a deal's current stage, not when it changed, so the close date is the clock.

Privacy, in SQL: words and names (snippets' speakers, transcripts) are returned only to admin and ops and to a
manager for their own team (text_access, sql/macros/may_read_text.sql); others get aggregates and anonymous snippets,
none from a team below $HUDDLE_MIN_GROUP_SIZE reps.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd

from analytics import auth
from analytics.estimators.lift import N_BOOT, ImputationLift
from analytics.estimators.memory import MemoryModel
from analytics.filters import Filters
from analytics.intervals import wilson_interval
from analytics.metrics import usage
from analytics.metrics.certification import trend_from_rows
from analytics.metrics.evidence import evidence_tier
from analytics.metrics.groups import suppress_small_groups
from analytics.metrics.plan import planned_share
from analytics.settings import min_group_size
from analytics.views import lift, retention
from analytics.views.queries import catalog, rep_message, run

LATE_DAYS = 14
NO_ACTIVITIES = "Upload calls/emails to see usage"
CAVEAT = ("Reps choose to use a message deal by deal, so usage can follow a deal going well rather than cause it: "
          "read the usage lift with the timing test beside it, and the certified lift as the stronger evidence.")
SUPPRESSED = ("usage_rate", "ci_low", "ci_high", "n_used", "n_used_unknown_speaker", "deal_usage_rate",
              "deal_ci_low", "deal_ci_high", "n_used_deals")
TEXT_ROLES = ("admin", "ops")


def has_activities(con) -> bool:
    """Whether any activity (call, meeting, email, note) is loaded: without one, usage figures say nothing."""
    return con.execute("SELECT count(*) > 0 FROM activities").fetchone()[0]


def text_access(con, user: auth.User) -> dict:
    """The bound parameters of sql/macros/may_read_text.sql for a user: admin/ops all, a manager their own team."""
    if user.role in TEXT_ROLES:
        return {"text_all": True, "text_rep_ids": []}
    if user.role == "manager":
        return {"text_all": False, "text_rep_ids": list(auth.visible_rep_ids(con, user) or ())}
    return {"text_all": False, "text_rep_ids": []}


def call_counts(con, filters: Filters = Filters(), as_of: date | None = None) -> pd.DataFrame:
    """Message x rep x week since launch rows of in-scope conversations and uses (sql/queries/usage_call_counts)."""
    return run(con, "queries/usage_call_counts", {**filters.params(), "as_of": as_of})


def deal_params(filters: Filters, as_of: date | None) -> dict:
    """The deal queries' bound filters for the sidebar's (as on the Win-rate impact page)."""
    p = filters.params()
    return {"as_of": as_of, "date_from": p["start"], "date_to": p["end"], "segments": p["segments"],
            "teams": p["teams"], "regions": p["regions"], "managers": p["managers"], "rep_ids": p["rep_ids"]}


def deal_rows(con, filters: Filters = Filters(), as_of: date | None = None) -> pd.DataFrame:
    """In-scope closed deals x message with recorded activity, used or not, early or late (sql/queries/usage_deals)."""
    ids = list(catalog(con)["message_id"])
    out = run(con, "queries/usage_deals", {**deal_params(filters, as_of), "message_id": None, "message_ids": ids,
                                           "late_days": LATE_DAYS})
    if filters.messages:
        out = out[out["message_id"].isin(filters.messages)].reset_index(drop=True)
    return out


def usage_rates(con, filters: Filters = Filters(), as_of: date | None = None, by: str | None = None,
                min_size: int | None = None) -> pd.DataFrame:
    """Usage rate per call and per deal per message (or message x team / manager / rep), counts and intervals.

    Team and manager groups below `min_size` reps have their rates and uses blanked (is_suppressed).
    """
    messages = catalog(con, filters)
    calls = usage.call_rates(call_counts(con, filters, as_of), messages, by)
    deals = usage.deal_rates(deal_rows(con, filters, as_of), messages, by).rename(columns={
        "usage_rate": "deal_usage_rate", "ci_low": "deal_ci_low", "ci_high": "deal_ci_high",
        "n_reps": "n_reps_with_deals"})
    keys = ["message_id"] + usage.group_keys(by)
    out = calls.merge(deals.drop(columns="message_name"), on=keys, how="outer" if by else "left")
    out["message_name"] = out["message_id"].map(dict(zip(messages["message_id"], messages["message_name"])))
    for column in ("n_reps", "n_calls", "n_used", "n_used_unknown_speaker", "n_deals", "n_used_deals",
                   "n_won_used_deals", "n_reps_with_deals"):
        out[column] = out[column].fillna(0).astype("int64")
    if by in ("team", "manager"):
        size = out[["n_reps", "n_reps_with_deals"]].max(axis=1)
        out = suppress_small_groups(out.assign(group_size=size), "group_size", list(SUPPRESSED), min_size)
    return out


def weekly(con, filters: Filters = Filters(), as_of: date | None = None, baseline_weeks: int = 8) -> pd.DataFrame:
    """Per message and week since launch: usage rate per call with its interval, the certified share and the plan.

    The launch plan sets a certification target only, so usage is shown against the plan's certified-share path
    and the certified share itself; up to `baseline_weeks` weeks before launch are the trackers' baseline.
    """
    as_of = as_of or date.today()
    messages = catalog(con, filters)
    counts = call_counts(con, filters, as_of)
    counts = counts[counts["weeks_since_launch"] >= -baseline_weeks]
    weeks = (counts.groupby(["message_id", "weeks_since_launch"], as_index=False)
             .agg(n_reps=("rep_id", "nunique"), n_calls=("n_calls", "sum"), n_used=("n_used", "sum")))
    weeks["usage_rate"] = usage.usage_rate(weeks["n_used"], weeks["n_calls"])
    weeks["ci_low"], weeks["ci_high"] = wilson_interval(weeks["n_used"], weeks["n_calls"])
    trend = trend_from_rows(rep_message(con, filters, as_of), messages, as_of)
    out = weeks.merge(trend[["message_id", "weeks_since_launch", "certified_share"]],
                      on=["message_id", "weeks_since_launch"], how="left")
    info = messages.set_index("message_id")
    out["message_name"] = out["message_id"].map(info["message_name"])
    launch = pd.to_datetime(out["message_id"].map(info["launch_date"]))
    out["week_start"] = (launch + pd.to_timedelta(7 * out["weeks_since_launch"], unit="D")).dt.date
    out["planned_share"] = [
        planned_share(info.at[m, "launch_date"], info.at[m, "adoption_target"], info.at[m, "target_date"], day)
        for m, day in zip(out["message_id"], out["week_start"])]
    out["is_baseline"] = out["weeks_since_launch"] < 0
    out["certified_share"] = out["certified_share"].where(~out["is_baseline"], 0.0)
    order = {m: i for i, m in enumerate(messages["message_id"])}
    return out.assign(_o=out["message_id"].map(order)).sort_values(["_o", "weeks_since_launch"], ignore_index=True) \
        .drop(columns="_o")


def rep_rows(con, filters: Filters = Filters(), as_of: date | None = None) -> pd.DataFrame:
    """One row per rep x message (rep_message) with their in-scope conversations, uses and deals since launch."""
    return usage.rep_usage(rep_message(con, filters, as_of), call_counts(con, filters, as_of),
                           deal_rows(con, filters, as_of))


def funnel(con, filters: Filters = Filters(), as_of: date | None = None) -> pd.DataFrame:
    """Reps per message: in scope, certified, uses it in calls, used on a deal, won with it; use without certifying."""
    return usage.funnel_from_reps(rep_rows(con, filters, as_of), catalog(con, filters))


def transfer_gap(con, filters: Filters = Filters(), as_of: date | None = None,
                 model: MemoryModel | None = None) -> pd.DataFrame:
    """Certified reps who rarely or never said the message in their calls since, with their expected score today."""
    as_of = as_of or date.today()
    gap = usage.transfer_gap(rep_rows(con, filters, as_of))
    if model is None or gap.empty:
        return gap.assign(expected_score=np.nan, recall=np.nan)
    scores = retention.forecast(con, replace(filters, start=None, end=None), as_of, model)
    return gap.merge(scores[["rep_id", "message_id", "expected_score", "recall"]], on=["rep_id", "message_id"],
                     how="left")


def gap_by_message(con, filters: Filters = Filters(), as_of: date | None = None) -> pd.DataFrame:
    """Per message: certified reps with calls since certifying, how many are in the transfer gap, the share."""
    return usage.gap_share(rep_rows(con, filters, as_of))


def calls_share(con, as_of: date | None = None) -> pd.DataFrame:
    """Per message, company-wide: the usage rate per in-scope call ("used in % of calls") and the calls counted."""
    out = usage_rates(con, Filters(), as_of)
    return out[["message_id", "usage_rate", "n_calls"]].rename(columns={"usage_rate": "used_in_calls_share",
                                                                        "n_calls": "calls_in_scope"})


def usage_lift(con, filters: Filters = Filters(), as_of: date | None = None, n_boot: int = N_BOOT,
               seed: int = 0) -> pd.DataFrame:
    """Per message: the usage lift (pp, interval, evidence), the certified lift beside it, and the timing test."""
    messages = catalog(con)
    ids = list(messages["message_id"])
    params = deal_params(filters, as_of)
    deals = lift.fetch(con, "queries/lift_deals", params)
    rows = deal_rows(con, replace(filters, messages=()), as_of)
    used = rows["is_used"].astype(bool).to_numpy()
    early = rows["is_used_early"].astype(bool).to_numpy()
    pairs = {"deal_key": rows["deal_key"].to_numpy(), "message_ix": rows["message_ix"].to_numpy(),
             "is_adopted": used, "is_tagged": rows["is_tagged"].astype(bool).to_numpy()}
    fitted = ImputationLift(n_boot=n_boot, seed=seed).fit(deals, pairs, ids)
    # the timing test: early and late-only use as two treatments of one fit, so their draws pair up
    ix = rows["message_ix"].to_numpy()
    timing_pairs = {"deal_key": np.concatenate([pairs["deal_key"]] * 2),
                    "message_ix": np.concatenate([2 * ix, np.where(ix >= 0, 2 * ix + 1, -1)]),
                    "is_adopted": np.concatenate([early, used & ~early]),
                    "is_tagged": np.concatenate([pairs["is_tagged"]] * 2)}
    timing = ImputationLift(n_boot=n_boot, seed=seed).fit(
        deals, timing_pairs, [f"{m}{suffix}" for m in ids for suffix in (":early", ":late")])
    counts = fitted.counts_
    out = messages[["message_id", "message_name", "launch_date", "target_segment"]].copy()
    out["deals_used"] = counts["closed_deals_adopted"]
    out["deals_not_used"] = counts["closed_deals_not_adopted"]
    out["reps_used"] = counts["reps_adopted"]
    out["reps_not_used"] = counts["reps_not_adopted"]
    out["won_used"], out["won_not_used"] = counts["won_adopted"], counts["won_not_adopted"]
    out["usage_lift_pp"] = fitted.effects_
    out["usage_ci_low_pp"], out["usage_ci_high_pp"] = fitted.ci_[:, 0], fitted.ci_[:, 1]
    out["usage_evidence"] = [
        evidence_tier(r.deals_used, r.deals_not_used, r.reps_used, r.reps_not_used, r.usage_lift_pp,
                      r.usage_ci_low_pp, r.usage_ci_high_pp) for r in out.itertuples()]
    t = timing.counts_
    out["deals_used_early"], out["deals_used_late"] = t["closed_deals_adopted"][0::2], t["closed_deals_adopted"][1::2]
    out["early_lift_pp"], out["late_lift_pp"] = timing.effects_[0::2], timing.effects_[1::2]
    diff = timing.draws_[:, 1::2] - timing.draws_[:, 0::2]
    out["late_minus_early_pp"] = out["late_lift_pp"] - out["early_lift_pp"]
    out["timing_ci_low_pp"], out["timing_ci_high_pp"] = _interval(diff)
    out["follows_deals"] = (out["timing_ci_low_pp"] > 0).fillna(False).astype(bool)
    certified = lift.message_impact(con, replace(filters, messages=()), as_of, n_boot=n_boot)
    out = out.merge(certified[["message_id", "adjusted_lift_pp", "ci_low_pp", "ci_high_pp", "evidence"]].rename(
        columns={"adjusted_lift_pp": "certified_lift_pp", "ci_low_pp": "certified_ci_low_pp",
                 "ci_high_pp": "certified_ci_high_pp", "evidence": "certified_evidence"}), on="message_id", how="left")
    out["method"] = fitted.method_
    out["summary"] = [usage_sentence(r) for r in out.to_dict("records")]
    out["timing_summary"] = [timing_sentence(r) for r in out.to_dict("records")]
    if filters.messages:
        out = out[out["message_id"].isin(filters.messages)]
    return out.reset_index(drop=True)


def _interval(draws: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """95 % percentile interval per column of bootstrap draws; NaN when under 90 % (or 20) of them are finite."""
    low, high = np.full(draws.shape[1], np.nan), np.full(draws.shape[1], np.nan)
    for j in range(draws.shape[1]):
        d = draws[:, j][np.isfinite(draws[:, j])]
        if len(d) >= max(20, 0.9 * len(draws)):
            low[j], high[j] = np.percentile(d, [2.5, 97.5])
    return low, high


def usage_sentence(row: dict) -> str:
    """The usage lift in one plain sentence, with its interval, evidence and the caveat's short form."""
    value, low, high = row["usage_lift_pp"], row["usage_ci_low_pp"], row["usage_ci_high_pp"]
    if pd.isna(value) or row["usage_evidence"] == "insufficient":
        return (f"Not enough deals with recorded activity to compare yet ({row['deals_used']} used and "
                f"{row['deals_not_used']} other closed deals in scope).")
    size = abs(round(value))
    head = ("Deals on which the rep used the message won about as often as comparable deals" if size == 0 else
            f"Deals on which the rep used the message won {size} point{'s' if size != 1 else ''} "
            f"{'more' if value > 0 else 'less'} often than comparable deals")
    if pd.notna(low) and pd.notna(high):
        head += f" (likely between {low:+.0f} and {high:+.0f})"
        if low <= 0 <= high:
            head += "; we can't rule out no effect"
    return f"{head}. Evidence: {row['usage_evidence']}. Reps chose when to use it."


def timing_sentence(row: dict) -> str:
    """The timing test in words: does the lift live only in uses close to the close date?"""
    diff, low, high = row["late_minus_early_pp"], row["timing_ci_low_pp"], row["timing_ci_high_pp"]
    if pd.isna(diff) or pd.isna(low):
        return (f"Too few deals to run the timing test ({row['deals_used_early']} first used more than {LATE_DAYS} "
                f"days before the close, {row['deals_used_late']} only in the last {LATE_DAYS} days).")
    text = (f"Deals first used more than {LATE_DAYS} days before the close: {row['early_lift_pp']:+.1f} points; "
            f"used only in the last {LATE_DAYS} days: {row['late_lift_pp']:+.1f} (difference {diff:+.1f}, likely "
            f"between {low:+.1f} and {high:+.1f}).")
    if row["follows_deals"]:
        return text + (" The lift sits in late uses: usage seems to follow deals going well, so the usage lift "
                       "overstates what the message does.")
    return text + " No sign that usage merely follows deals going well."


def snippets(con, user: auth.User, filters: Filters = Filters(), as_of: date | None = None,
             message_id: str | None = None, team: str | None = None, manager: str | None = None,
             rep_id: str | None = None, weeks: tuple[int | None, int | None] = (0, None),
             limit: int = 50) -> pd.DataFrame:
    """The matches behind a usage number: date, who said it (names only where the user may read the text), snippet.

    weeks: weeks since launch, from and to (None: open); by default the weeks the usage rates count (from launch).
    """
    params = {**filters.params(), **text_access(con, user), "as_of": as_of, "message_id": message_id, "team": team,
              "manager": manager, "focus_rep_id": rep_id, "week_from": weeks[0], "week_to": weeks[1],
              "min_group": min_group_size(), "limit": int(limit)}
    return run(con, "queries/usage_snippets", params)


def transcript(con, user: auth.User, activity_id: str) -> pd.DataFrame:
    """The speaker turns of one activity, or no rows when the user may not read it (enforced in SQL)."""
    return run(con, "queries/usage_transcript", {**text_access(con, user), "activity_id": activity_id})



EDIT_ROLES = ("admin", "ops", "marketing")


def can_edit_phrases(user: auth.User) -> bool:
    """Marketing (and admin, ops) edit the trackers' key phrases."""
    return user.role in EDIT_ROLES


def key_phrases(con) -> pd.DataFrame:
    """Each catalog message's key phrases in force and where they come from (catalog | edit | none)."""
    out = run(con, "queries/usage_key_phrases", {})
    out["key_phrases_source"] = out["key_phrases_source"].fillna("none")
    return out
