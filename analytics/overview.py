"""Leadership views: headline tiles per period, adoption against the launch plan, messages needing attention,
certification by team / region / manager (small groups suppressed), rep drill-down and who sends feedback.

Every view applies the shared sidebar `Filters` in SQL, including the reps a manager may see (`Filters.rep_ids`).
Certification comes from sql/marts/fct_rep_message.sql (the definitions of analytics.adoption), read as a CTE by
sql/marts/fct_team_rep_message.sql; rates use `adoption.certification_rate`, win rates `lift.win_rate`, lift
`lift.message_lift`, retention `retention.forecast`, and ratings `analytics.feedback`.

Thresholds (documented on the pages):
- behind its plan: certified share below the plan's path, a straight line from 0 at launch to the adoption
  target on the target date (the target itself afterwards, or when the plan has no target date);
- fading retention: fewer than FADING_SHARE of a message's certified reps expected at or above the retention
  target score today (analytics.retention.TARGET);
- poor field reception: the 95 % interval of the mean rating lies below NEUTRAL_RATING (feedback.NEUTRAL_RATING);
- negative lift: the 95 % interval of the adjusted lift lies below zero.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd

from analytics import adoption, feedback, lift, retention
from analytics.db import sql
from analytics.filters import Filters
from analytics.precompute import stored

MIN_GROUP_SIZE_ENV = "HUDDLE_MIN_GROUP_SIZE"
DEFAULT_MIN_GROUP_SIZE = 3
BY = adoption.BY
BY_FILTER = {"team": "teams", "region": "regions", "manager": "managers"}
FADING_SHARE = 0.5
QUIET_RATIO = 0.5          # a team sends little feedback below half the median team's entries per rep
MESSAGE_COLUMNS = adoption.MESSAGE_COLUMNS
RATE_COLUMNS = ["reps_attempted", "reps_certified", "reps_certified_30d", "median_days_to_certify",
                "certification_rate", "certification_rate_30d"]
# Marts that other marts read as a CTE under this name (the definition is reused, never copied).
BASES = {"rep_message": "marts/fct_rep_message.sql", "message_deals": "marts/fct_message_deals.sql"}
# The single-value filters of the base marts, left open: the list filters are applied by the reading mart.
BASE_DEFAULTS = {"team": None, "region": None, "manager": None, "segment": None, "date_from": None,
                 "date_to": None, "message_id": None}
HR_NOTE = ("Rep-level figures describe training and message adoption. They are not a measure of performance "
           "and must not be used for HR decisions.")


# ------------------------------------------------------------------------------------------ small groups

def min_group_size() -> int:
    """Smallest group whose rep-level aggregate is shown: $HUDDLE_MIN_GROUP_SIZE, default 3."""
    raw = os.environ.get(MIN_GROUP_SIZE_ENV, "").strip()
    try:
        return max(1, int(raw)) if raw else DEFAULT_MIN_GROUP_SIZE
    except ValueError:
        return DEFAULT_MIN_GROUP_SIZE


def suppress_small_groups(frame: pd.DataFrame, size_column: str, value_columns: list[str],
                          min_size: int | None = None) -> pd.DataFrame:
    """Blank the values of groups with fewer than `min_size` members; `is_suppressed` marks them."""
    min_size = min_group_size() if min_size is None else min_size
    out = frame.copy()
    small = out[size_column].fillna(0).astype(float) < min_size
    for column in value_columns:
        out[column] = out[column].astype(float).where(~small, np.nan)
    out["is_suppressed"] = small.to_numpy(dtype=bool)
    return out


# ------------------------------------------------------------------------------------------ periods

@dataclass(frozen=True)
class Period:
    """A closed date range [start, end] and the equally long range just before it."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of the same length ending the day before this one starts."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)


def period_of(filters: Filters, today: date) -> Period:
    """The selected period: the sidebar dates, ending no later than today (what is known now)."""
    end = min(filters.end or today, today)
    start = min(filters.start or end, end)
    return Period(start, end)


# ------------------------------------------------------------------------------------------ queries

def query(con, mart: str, params: dict, base: str | None = None) -> pd.DataFrame:
    """Run sql/marts/<mart>.sql, optionally reading another mart as a CTE; only the parameters it uses are bound."""
    text = sql(f"marts/{mart}.sql")
    if base is not None:
        text = f"WITH {base} AS (\n{sql(BASES[base])}\n)\n{text}"
    values = {**BASE_DEFAULTS, **params}
    names = set(re.findall(r"\$([A-Za-z_]\w*)", text))
    missing = names - set(values)
    if missing:
        raise KeyError(f"{mart}: no value for {sorted(missing)}")
    return con.execute(text, {k: values[k] for k in names}).df()


def catalog(con, filters: Filters = Filters()) -> pd.DataFrame:
    """Messages of the launch plan in launch order (dim_messages), restricted to the message filter."""
    out = con.execute(sql("marts/dim_messages.sql")).df()
    if filters.messages:
        out = out[out["message_id"].isin(filters.messages)].reset_index(drop=True)
    return out


def message_names(con) -> list[str]:
    """Every message name in launch order: the order that fixes each message's chart color."""
    return catalog(con)["message_name"].tolist()


def rep_message(con, filters: Filters = Filters(), as_of: date | None = None) -> pd.DataFrame:
    """One row per rep x message (fct_rep_message definitions) for the reps and messages the filters keep."""
    return query(con, "fct_team_rep_message", {**filters.params(), "as_of": as_of}, base="rep_message")


# ------------------------------------------------------------------------------------------ certification

def summarize_certification(rows: pd.DataFrame, messages: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Certification per message (and group): reps in scope, attempted, certified, within 30 days, rates."""
    keys = ["message_id"] + _by(by)
    scoped = rows[rows["is_in_scope"].astype(bool)].copy()
    scoped["is_attempted"] = scoped["n_attempts"] > 0
    scoped["certified_days"] = scoped["days_to_certify"].astype(float).where(scoped["is_certified"].astype(bool))
    counts = (scoped.groupby(keys, dropna=False, sort=False, as_index=False)
              .agg(reps_in_scope=("rep_id", "size"), reps_attempted=("is_attempted", "sum"),
                   reps_certified=("is_certified", "sum"), reps_certified_30d=("is_certified_30d", "sum"),
                   median_days_to_certify=("certified_days", "median")))
    info = messages[MESSAGE_COLUMNS]
    if by is None:                      # every message keeps a row, with zeros when nobody is in scope
        out = info.merge(counts, on="message_id", how="left")
        for column in ("reps_in_scope", "reps_attempted", "reps_certified", "reps_certified_30d"):
            out[column] = out[column].fillna(0).astype("int64")
    else:
        out = info.merge(counts, on="message_id", how="inner")
        for column in ("reps_in_scope", "reps_attempted", "reps_certified", "reps_certified_30d"):
            out[column] = out[column].astype("int64")
    out["certification_rate"] = adoption.certification_rate(out["reps_certified"], out["reps_in_scope"])
    out["certification_rate_30d"] = adoption.certification_rate(out["reps_certified_30d"], out["reps_in_scope"])
    order = {m: i for i, m in enumerate(messages["message_id"])}
    out["_order"] = out["message_id"].map(order)
    out = out.sort_values(["_order"] + _by(by), na_position="last", ignore_index=True).drop(columns="_order")
    return out


def certification(con, filters: Filters = Filters(), as_of: date | None = None, by: str | None = None,
                  min_size: int | None = None) -> pd.DataFrame:
    """Certification per message, or per message x team / region / manager with groups below `min_size` blanked."""
    out = summarize_certification(rep_message(con, filters, as_of), catalog(con, filters), by)
    if by is not None:
        out = suppress_small_groups(out, "reps_in_scope", RATE_COLUMNS, min_size)
    return out


def funnel(con, filters: Filters = Filters(), as_of: date | None = None) -> pd.DataFrame:
    """Reps per message at each stage: in scope, attempted, passed, passed within 30 days of launch."""
    c = certification(con, filters, as_of)
    stages = {"in scope": "reps_in_scope", "attempted": "reps_attempted", "passed": "reps_certified",
              "passed within 30 days": "reps_certified_30d"}
    frames = [pd.DataFrame({"message_id": c["message_id"], "message_name": c["message_name"], "stage": stage,
                            "step": step, "reps": c[column].astype("int64"),
                            "share_of_scope": adoption.certification_rate(c[column], c["reps_in_scope"])})
              for step, (stage, column) in enumerate(stages.items())]
    out = pd.concat(frames, ignore_index=True)
    order = {m: i for i, m in enumerate(c["message_id"])}
    out["_order"] = out["message_id"].map(order)
    return out.sort_values(["_order", "step"], ignore_index=True).drop(columns=["_order", "step"])


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


def trend_from_rows(rows: pd.DataFrame, messages: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """adoption_trend from rep_message rows as of `as_of` and the messages (catalog) they cover."""
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
    out["certified_share"] = adoption.certification_rate(out["reps_certified"], out["reps_in_scope"])
    return out


def planned_share(launch_date, adoption_target, target_date, as_of: date) -> float:
    """The plan's certified share on `as_of`: a straight line from 0 at launch to the target on the target date."""
    if _missing(adoption_target) or _missing(launch_date):
        return float("nan")
    launch = pd.Timestamp(launch_date).date()
    if as_of < launch:
        return 0.0
    if _missing(target_date) or pd.Timestamp(target_date).date() <= launch:
        return float(adoption_target)
    span = (pd.Timestamp(target_date).date() - launch).days
    return float(adoption_target) * min(1.0, (as_of - launch).days / span)


def plan_status(con, filters: Filters = Filters(), as_of: date | None = None) -> pd.DataFrame:
    """Per message: certified share now against the launch plan's path; is_behind_plan only for launched messages."""
    as_of = as_of or date.today()
    return plan_from_rows(rep_message(con, filters, as_of), catalog(con, filters), as_of)


def plan_from_rows(rows: pd.DataFrame, messages: pd.DataFrame, as_of: date) -> pd.DataFrame:
    """plan_status from rep_message rows as of `as_of` and the messages (catalog) they cover."""
    out = summarize_certification(rows, messages)
    out["planned_share"] = [planned_share(r.launch_date, r.adoption_target, r.target_date, as_of)
                            for r in out.itertuples()]
    launched = out["launch_date"].notna() & (pd.to_datetime(out["launch_date"]) <= pd.Timestamp(as_of))
    judged = launched & out["planned_share"].notna() & (out["reps_in_scope"] > 0)
    out["is_behind_plan"] = (out["certification_rate"] < out["planned_share"]).where(judged, False).astype(bool)
    return out


# ------------------------------------------------------------------------------------------ retention

@stored()
def retention_model(con) -> retention.RetentionModel | None:
    """The forgetting law fitted on every graded attempt, or None when there is too little history to fit it."""
    try:
        return retention.fit(retention.load_attempts(con))
    except retention.NotEnoughHistory:
        return None


def share_above_target(certified: pd.DataFrame, scores: pd.DataFrame, target: float = retention.TARGET) -> pd.DataFrame:
    """Per date and message, the share of certified pairs expected at or above target (unscored pairs count below)."""
    merged = certified[["on_date", "rep_id", "message_id"]].merge(
        scores[["on_date", "rep_id", "message_id", "expected_score"]], on=["on_date", "rep_id", "message_id"],
        how="left")
    merged["is_above"] = merged["expected_score"].astype(float).fillna(-1.0) >= target
    out = (merged.groupby(["on_date", "message_id"], as_index=False)
           .agg(n_certified=("rep_id", "size"), n_above=("is_above", "sum")))
    out["share_above"] = out["n_above"] / out["n_certified"]
    return out


def retention_share(con, filters: Filters, on_dates: tuple[date, ...],
                    model: retention.RetentionModel | None) -> pd.DataFrame:
    """Per date and message, the share of certified in-scope reps expected at or above the retention target."""
    columns = ["on_date", "message_id", "n_certified", "n_above", "share_above"]
    if model is None or not on_dates:
        return pd.DataFrame(columns=columns)
    # a certified pair has practiced (its passed attempt): the practiced pairs' scores are all the share needs
    scores = retention.practiced_scores(con, list(on_dates), model=model)
    certified = certified_on(con, filters, on_dates)
    certified["on_date"] = pd.to_datetime(certified["on_date"])       # joined as timestamps (faster), shown as dates
    scores["on_date"] = pd.to_datetime(scores["on_date"]).astype(certified["on_date"].dtype)
    out = share_above_target(certified, scores)
    out["on_date"] = out["on_date"].dt.date
    return out[columns]


def certified_on(con, filters: Filters, on_dates: tuple[date, ...]) -> pd.DataFrame:
    """The certified in-scope rep x message pairs of launched messages on each date (rep_id, message_id, on_date)."""
    # One rep_message as of the last date serves every date: a pair certified on an earlier day d has its first pass
    # on or before d, is in scope on d once its segment deal had closed (in_scope_since), and its message launched.
    columns = ["rep_id", "message_id", "on_date"]
    if not on_dates:
        return pd.DataFrame(columns=columns)
    rows = rep_message(con, filters, max(on_dates))
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


# ------------------------------------------------------------------------------------------ headline

def win_rate_in(con, filters: Filters, period: Period) -> dict:
    """Closed, won and lost deals in a period and their win rate (won / (won + lost))."""
    row = query(con, "fct_overview_win_rate", {**filters.params(), "start": period.start, "end": period.end})
    won, lost = int(row["n_won"].iloc[0]), int(row["n_lost"].iloc[0])
    return {"n_closed": won + lost, "n_won": won, "win_rate": lift.win_rate(won, lost)}


def landing(con, filters: Filters, period: Period, model: retention.RetentionModel | None = None) -> dict:
    """The Overview's tiles, adoption trend, plan status and retained shares, sharing their queries and forecast."""
    previous = period.previous()
    messages = catalog(con, filters)
    rows = {period.end: rep_message(con, filters, period.end), previous.end: rep_message(con, filters, previous.end)}
    retained = retention_share(con, filters, (period.end, previous.end), model)
    return {
        "tiles": headline(con, filters, period, model, rows=rows, retained=retained),
        "trend": trend_from_rows(rows[period.end], messages, period.end),
        "plan": plan_from_rows(rows[period.end], messages, period.end),
        "retained": retained[retained["on_date"] == period.end].reset_index(drop=True),
    }


def headline(con, filters: Filters, period: Period, model: retention.RetentionModel | None = None, *,
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
        values["certified"].append(adoption.certification_rate(rows_on["is_certified"].sum(), len(rows_on)))
        counts["certified"].append(len(rows_on))
        r = ret[ret["on_date"] == p.end]
        n = int(r["n_certified"].sum()) if len(r) else 0
        values["retained"].append(float(r["n_above"].sum()) / n if n and model is not None else float("nan"))
        counts["retained"].append(n)
        w = win_rate_in(con, filters, p)
        values["win_rate"].append(w["win_rate"])
        counts["win_rate"].append(w["n_closed"])
        ratings = feedback.entries(con, replace(filters, start=p.start, end=p.end))["rating"]
        mean, _, _ = feedback.mean_interval(ratings)
        values["rating"].append(mean)
        counts["rating"].append(int(ratings.notna().sum()))
    labels = {
        "live": ("Messages live", "count", "Messages launched on or before the period's last day."),
        "certified": ("Targeted reps certified", "share",
                      "Certified in-scope reps / in-scope reps, over the messages live at the period's end."),
        "retained": ("Certified reps above retention target", "share",
                     f"Share of certified reps whose expected quiz score at the period's end is at least "
                     f"{retention.TARGET:.0%} (forgetting model)."),
        "win_rate": ("Win rate", "share", "Won / (won + lost) of deals closed in the period; open deals never count."),
        "rating": ("Field rating (1-5)", "rating", "Mean rating (1-5) of field feedback dated in the period."),
    }
    rows = []
    for key, (label, unit, help_text) in labels.items():
        now, before = values[key]
        available = key != "retained" or model is not None
        rows.append({"key": key, "label": label, "unit": unit, "value": now, "previous": before,
                     "delta": now - before if not (_missing(now) or _missing(before)) else float("nan"),
                     "n": counts[key][0], "n_previous": counts[key][1], "is_available": available,
                     "help": help_text})
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------ lift and attention

def lift_filters(filters: Filters) -> tuple[dict, list[str]]:
    """lift.message_lift's keyword filters for the sidebar's (dates, segments, teams, regions, managers, rep scope),
    and the ones it cannot apply: none, the list is kept for callers."""
    return {"date_from": filters.start, "date_to": filters.end, "segments": filters.segments, "teams": filters.teams,
            "regions": filters.regions, "managers": filters.managers, "rep_ids": filters.rep_ids}, []


def message_lift(con, filters: Filters = Filters(), as_of: date | None = None, n_boot: int = lift.N_BOOT) -> pd.DataFrame:
    """Adjusted win-rate lift per message (lift.message_lift) on the deals the filters keep, closed up to `as_of`; a
    team, region, manager or rep scope restricts both adopted and control deals to those reps."""
    kwargs, _ = lift_filters(filters)
    out = lift.message_lift(con, as_of=as_of, n_boot=n_boot, **kwargs)
    if filters.messages:
        out = out[out["message_id"].isin(filters.messages)].reset_index(drop=True)
    return out


def needs_attention(plan: pd.DataFrame, retained: pd.DataFrame | None, reception: pd.DataFrame,
                    lifts: pd.DataFrame) -> pd.DataFrame:
    """Messages needing attention, one row each with the reasons (behind plan, fading, poor reception, negative lift)."""
    reasons: dict[str, list[tuple[str, str]]] = {m: [] for m in plan["message_id"]}
    names = dict(zip(plan["message_id"], plan["message_name"]))
    for r in plan[plan["is_behind_plan"]].itertuples():
        by = f" by {pd.Timestamp(r.target_date):%d %b %Y}" if not _missing(r.target_date) else ""
        reasons[r.message_id].append((
            "behind_plan", f"behind its plan: {r.certification_rate:.0%} of targeted reps certified, "
                           f"{r.planned_share:.0%} planned by now (target {r.adoption_target:.0%}{by})"))
    if retained is not None and len(retained):
        for r in retained.itertuples():
            if r.message_id in reasons and r.n_certified >= min_group_size() and r.share_above < FADING_SHARE:
                reasons[r.message_id].append((
                    "fading", f"fading retention: only {r.share_above:.0%} of {r.n_certified} certified reps "
                              f"expected at or above the {retention.TARGET:.0%} score target"))
    for r in reception.itertuples():
        if r.message_id in reasons and not _missing(r.ci_high) and r.ci_high < feedback.NEUTRAL_RATING:
            reasons[r.message_id].append((
                "poor_reception", f"poor field reception: mean rating {r.mean_rating:.1f} / 5 "
                                  f"(95% CI {r.ci_low:.1f} to {r.ci_high:.1f}, {r.n_rated} ratings), "
                                  f"{r.share_negative:.0%} negative"))
    for r in lifts.itertuples():
        if r.message_id in reasons and not _missing(r.ci_high_pp) and r.ci_high_pp < 0:
            reasons[r.message_id].append((
                "negative_lift", f"negative lift: deals of certified reps won {abs(r.adjusted_lift_pp):.1f} points "
                                 f"less often (95% CI {r.ci_low_pp:+.1f} to {r.ci_high_pp:+.1f})"))
    rows = [{"message_id": m, "message_name": names[m], "reason_keys": [k for k, _ in rs],
             "reasons": [t for _, t in rs]} for m, rs in reasons.items() if rs]
    return pd.DataFrame(rows, columns=["message_id", "message_name", "reason_keys", "reasons"])


def reception_use_effect(con, filters: Filters = Filters(), as_of: date | None = None) -> pd.DataFrame:
    """Per message, side by side: field reception (ratings), use (certification) and effect (adjusted lift)."""
    rec = feedback.reception(con, filters)
    cert = certification(con, filters, as_of)[["message_id", "reps_in_scope", "reps_certified", "certification_rate"]]
    lifts = message_lift(con, filters, as_of)[["message_id", "adjusted_lift_pp", "ci_low_pp", "ci_high_pp",
                                                "naive_lift_pp", "evidence"]]
    out = rec.merge(cert, on="message_id", how="left").merge(lifts, on="message_id", how="left")
    weakest = feedback.weakest_received(rec)
    out["is_weakest"] = out["message_id"] == (weakest["message_id"] if weakest else None)
    return out


# ------------------------------------------------------------------------------------------ drill-down

def narrowed(filters: Filters, by: str, group: str) -> Filters | None:
    """The filters narrowed to one team, region or manager; None when the sidebar already excludes that group."""
    field = BY_FILTER[_by(by)[0]]
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
    params = {**visible.params(), "rep_id": rep_id, "as_of": as_of}
    attempts = query(con, "fct_team_rep_attempts", params)
    status = rep_message(con, visible, as_of)[["message_id", "message_name", "launch_date", "is_in_scope",
                                               "n_attempts", "first_attempt_at", "certified_at",
                                               "days_to_certify"]]
    deals = query(con, "fct_team_rep_deals", params, base="message_deals")
    deals = status[["message_id", "message_name"]].merge(deals, on="message_id", how="inner")
    deals["win_rate_in_scope"] = lift.win_rate(deals["n_won_in_scope"],
                                               deals["n_closed_in_scope"] - deals["n_won_in_scope"])
    deals["win_rate_adopted"] = lift.win_rate(deals["n_won_adopted"],
                                              deals["n_closed_adopted"] - deals["n_won_adopted"])
    return {"attempts": attempts, "certification": status.reset_index(drop=True), "deals": deals}


# ------------------------------------------------------------------------------------------ feedback by team

def feedback_volume(con, filters: Filters = Filters(), min_size: int | None = None) -> pd.DataFrame:
    """Per team: reps, reps who sent feedback in the period, entries and entries per rep; quiet teams flagged."""
    out = query(con, "fct_feedback_team_volume", filters.params())
    out["team"] = out["team"].fillna("(no team)")
    reps = out["n_reps"].astype(float).where(out["n_reps"] > 0)
    out["share_reps_sending"] = out["n_reps_sending"] / reps
    out["feedback_per_rep"] = out["n_feedback"] / reps
    out = suppress_small_groups(out, "n_reps", ["n_reps_sending", "n_feedback", "share_reps_sending",
                                                "feedback_per_rep"], min_size)
    shown = out.loc[~out["is_suppressed"], "feedback_per_rep"]
    median = shown.median() if len(shown) else float("nan")
    out["is_quiet"] = (out["feedback_per_rep"] < QUIET_RATIO * median).fillna(False).astype(bool)
    return out


# ------------------------------------------------------------------------------------------ helpers

_by = adoption._by   # one allow-list check for the grouping column


def _missing(x) -> bool:
    return x is None or (not isinstance(x, str) and bool(pd.isna(x)))
