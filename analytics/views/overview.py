"""The Overview page's questions: headline tiles per period, the landing view, messages needing attention.

Thresholds (documented on the pages):
- behind its plan: analytics.metrics.plan;
- fading retention: fewer than FADING_SHARE (analytics.views.retention) of a message's certified reps expected at
  or above the retention target score today (analytics.settings.RETENTION_TARGET);
- poor field reception: the 95 % interval of the mean rating lies below NEUTRAL_RATING (analytics.metrics.reception);
- negative lift: the 95 % interval of the adjusted lift lies below zero, with moderate or strong evidence
  (analytics.metrics.evidence); a directional result is a note, not an alarm, and a narrower selection (a team, a
  segment) whose lift points the other way from the company-wide one says so;
- certified but not used: at least the minimum group size of certified reps had calls since certifying and at least
  GAP_SHARE of them are in the transfer gap (analytics.metrics.usage: said it in under MIN_USE_SHARE of those
  calls): an alarm when the 95 % interval's lower bound clears GAP_SHARE, a note otherwise; nothing is said while
  no activity is loaded.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pandas as pd

from analytics.estimators.memory import MemoryModel
from analytics.filters import Filters
from analytics.metrics.certification import certification_rate, trend_from_rows
from analytics.metrics.deals import win_rate
from analytics.metrics.missing import missing
from analytics.metrics.periods import Period
from analytics.metrics.plan import plan_from_rows
from analytics.metrics.reception import NEUTRAL_RATING, mean_interval
from analytics.settings import RETENTION_TARGET, min_group_size
from analytics.metrics.usage import GAP_SHARE, MIN_USE_SHARE
from analytics.results import stored
from analytics.views import field
from analytics.views.feedback import entries
from analytics.views.queries import catalog, rep_message, run
from analytics.views.retention import FADING_SHARE, retention_share


def win_rate_in(con, filters: Filters, period: Period) -> dict:
    """Closed, won and lost deals in a period and their win rate (won / (won + lost))."""
    row = run(con, "queries/win_rate_in_period", {**filters.params(), "start": period.start, "end": period.end})
    won, lost = int(row["n_won"].iloc[0]), int(row["n_lost"].iloc[0])
    return {"n_closed": won + lost, "n_won": won, "win_rate": win_rate(won, lost)}


def landing_dates(period: Period, now: date | None = None) -> tuple[date, ...]:
    """The dates the Overview looks at: the period's end, the previous period's end and `now` (once each)."""
    return tuple(dict.fromkeys((period.end, period.previous().end, now or period.end)))


@stored()
def landing(con, filters: Filters, period: Period, model: MemoryModel | None = None,
            now: date | None = None) -> dict:
    """The Overview's tiles, adoption trend, plan status and retained shares, sharing their queries and forecast.

    Tiles compare `period` with the one before; trend, plan and retained shares are as of `now` (default: its end).
    """
    now = now or period.end
    messages = catalog(con, filters)
    days = landing_dates(period, now)
    rows = {day: rep_message(con, filters, day) for day in days}
    retained = retention_share(con, filters, days, model, rows=rows[max(days)])
    return {
        "tiles": headline(con, filters, period, model, rows=rows, retained=retained),
        "trend": trend_from_rows(rows[now], messages, now),
        "plan": with_transfer_gap(con, plan_from_rows(rows[now], messages, now), filters, now),
        "retained": retained[retained["on_date"] == now].reset_index(drop=True),
    }


def headline(con, filters: Filters, period: Period, model: MemoryModel | None = None, *,
             rows: dict | None = None, retained: pd.DataFrame | None = None) -> pd.DataFrame:
    """The Overview tiles for a period and the one before it: value, previous value and change, with their unit."""
    # rows (rep_message per period end) and retained (retention_share of both ends) spare querying them again
    previous = period.previous()
    messages = catalog(con, filters)
    launch = pd.to_datetime(messages["launch_date"])
    values: dict[str, list] = {key: [] for key in ("live", "certified", "retained", "win_rate", "rating")}
    counts: dict[str, list] = {key: [] for key in values}
    ret = retention_share(con, filters, (period.end, previous.end), model) if retained is None else retained
    for p in (period, previous):
        live = int((launch <= pd.Timestamp(p.end)).sum())
        values["live"].append(live)
        counts["live"].append(live)
        rows_on = rep_message(con, filters, p.end) if rows is None else rows[p.end]
        rows_on = rows_on[rows_on["is_in_scope"].astype(bool)
                          & (pd.to_datetime(rows_on["launch_date"]) <= pd.Timestamp(p.end))]
        values["certified"].append(certification_rate(rows_on["is_certified"].sum(), len(rows_on)))
        counts["certified"].append(len(rows_on))
        r = ret[ret["on_date"] == p.end]
        n = int(r["n_certified"].sum()) if len(r) else 0
        values["retained"].append(float(r["n_above"].sum()) / n if n and model is not None else float("nan"))
        counts["retained"].append(n)
        w = win_rate_in(con, filters, p)
        values["win_rate"].append(w["win_rate"])
        counts["win_rate"].append(w["n_closed"])
        ratings = entries(con, replace(filters, start=p.start, end=p.end))["rating"]
        mean, _, _ = mean_interval(ratings)
        values["rating"].append(mean)
        counts["rating"].append(int(ratings.notna().sum()))
    # Labels short enough for a tile; the help says the rest, and `basis` says what `n` counts.
    labels = {
        "live": ("Messages live", "count", "Messages launched on or before the period's last day.", "messages"),
        "certified": ("Reps certified", "share",
                      "Targeted reps certified: certified in-scope reps / in-scope reps, over the messages live at "
                      "the period's end.", "targeted rep-message pairs"),
        "retained": ("Still remembered", "share",
                     f"Certified reps above the retention target: the share whose expected quiz score at the "
                     f"period's end is at least {RETENTION_TARGET:.0%} (forgetting model).",
                     "certified rep-message pairs"),
        "win_rate": ("Win rate", "share", "Won / (won + lost) of deals closed in the period; open deals never count.",
                     "closed deals"),
        "rating": ("Field rating", "rating", "Mean rating (1-5) of field feedback dated in the period.", "ratings"),
    }
    rows = []
    for key, (label, unit, help_text, basis) in labels.items():
        now, before = values[key]
        available = key != "retained" or model is not None
        rows.append({"key": key, "label": label, "unit": unit, "value": now, "previous": before,
                     "delta": now - before if not (missing(now) or missing(before)) else float("nan"),
                     "n": counts[key][0], "n_previous": counts[key][1], "is_available": available,
                     "help": help_text, "basis": basis})
    return pd.DataFrame(rows)


def with_transfer_gap(con, plan: pd.DataFrame, filters: Filters, now: date) -> pd.DataFrame:
    """The plan rows with each message's transfer gap (certified reps with calls since, how many never used it)."""
    if not field.has_activities(con):
        return plan
    gap = field.gap_by_message(con, filters, now).rename(columns={"ci_low": "gap_ci_low", "ci_high": "gap_ci_high"})
    return plan.merge(gap, on="message_id", how="left")


ALARM_TIERS = ("moderate", "strong")
NOTES = ("directional_lift", "certified_not_used_note")   # reasons that inform but do not raise an alarm


def needs_attention(plan: pd.DataFrame, retained: pd.DataFrame | None, reception: pd.DataFrame,
                    lifts: pd.DataFrame, whole: pd.DataFrame | None = None) -> pd.DataFrame:
    """Messages needing attention, one row each with the reasons (behind plan, fading, poor reception, negative lift).

    `whole` is the company-wide lift when the filters narrow the reps or deals, to say when the selection disagrees.
    """
    reasons: dict[str, list[tuple[str, str]]] = {m: [] for m in plan["message_id"]}
    names = dict(zip(plan["message_id"], plan["message_name"]))
    for r in plan[plan["is_behind_plan"]].itertuples():
        by = f" by {pd.Timestamp(r.target_date):%d %b %Y}" if not missing(r.target_date) else ""
        reasons[r.message_id].append((
            "behind_plan", f"behind its plan: {r.certification_rate:.0%} of targeted reps certified, "
                           f"{r.planned_share:.0%} planned by now (target {r.adoption_target:.0%}{by})"))
    if retained is not None and len(retained):
        for r in retained.itertuples():
            if r.message_id in reasons and r.n_certified >= min_group_size() and r.share_above < FADING_SHARE:
                reasons[r.message_id].append((
                    "fading", f"fading retention: only {r.share_above:.0%} of {r.n_certified} certified reps "
                              f"expected at or above the {RETENTION_TARGET:.0%} score target"))
    if "reps_not_using" in plan:
        for r in plan.itertuples():
            if (missing(r.share_not_using) or r.reps_certified_with_calls < min_group_size()
                    or r.share_not_using < GAP_SHARE):
                continue
            said = (f"{int(r.reps_not_using)} of {int(r.reps_certified_with_calls)} certified reps with calls since "
                    f"said it in under {MIN_USE_SHARE:.0%} of them ({r.share_not_using:.0%}, 95% CI "
                    f"{r.gap_ci_low:.0%} to {r.gap_ci_high:.0%})")
            if r.gap_ci_low >= GAP_SHARE:
                reasons[r.message_id].append(("certified_not_used", f"certified but not used: {said}"))
            else:
                reasons[r.message_id].append(("certified_not_used_note",
                                              f"possibly certified but not used, not an alarm yet: {said}"))
    for r in reception.itertuples():
        if r.message_id in reasons and not missing(r.ci_high) and r.ci_high < NEUTRAL_RATING:
            reasons[r.message_id].append((
                "poor_reception", f"poor field reception: mean rating {r.mean_rating:.1f} / 5 "
                                  f"(95% CI {r.ci_low:.1f} to {r.ci_high:.1f}, {r.n_rated} ratings), "
                                  f"{r.share_negative:.0%} negative"))
    overall = {} if whole is None else {r.message_id: r for r in whole.itertuples()}
    for r in lifts.itertuples():
        if r.message_id not in reasons or missing(r.ci_high_pp) or r.ci_high_pp >= 0:
            continue
        tier = getattr(r, "evidence", None)
        said = (f"deals of certified reps won {abs(r.adjusted_lift_pp):.1f} points less often "
                f"(95% CI {r.ci_low_pp:+.1f} to {r.ci_high_pp:+.1f}" + (f", {tier} evidence)" if tier else ")"))
        company = overall.get(r.message_id)
        if company is not None and not missing(company.adjusted_lift_pp) and company.adjusted_lift_pp >= 0:
            said += (f"; company-wide they won {company.adjusted_lift_pp:.1f} points more often"
                     + (f" ({company.evidence} evidence)" if getattr(company, "evidence", None) else "")
                     + ", so this selection disagrees with the whole")
        if tier is None or tier in ALARM_TIERS:
            reasons[r.message_id].append(("negative_lift", f"negative lift: {said}"))
        else:
            reasons[r.message_id].append((
                "directional_lift", f"possibly lower win rates, not an alarm yet (too few deals or reps to be "
                                    f"sure): {said}"))
    rows = [{"message_id": m, "message_name": names[m], "reason_keys": [k for k, _ in rs],
             "reasons": [t for _, t in rs], "is_alarm": any(k not in NOTES for k, _ in rs)}
            for m, rs in reasons.items() if rs]
    return pd.DataFrame(rows, columns=["message_id", "message_name", "reason_keys", "reasons", "is_alarm"])
