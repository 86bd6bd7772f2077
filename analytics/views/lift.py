"""Which messages win deals: naive and confounder-adjusted win-rate lift per message, win rates over time, strata.

Definitions (analytics.metrics.deals.DEFINITIONS, shown on the pages):
- A closed deal is *in scope* of a message when its segment matches the message's target segment (no target =
  every deal) and it closed on or after the launch date.
- A deal is *adopted* for a message when its owner passed that message's certification on or before the close
  date. A CRM column tagging the message used on a deal is reported separately, as the *tagged* definition.
- Win rate = won / (won + lost); open deals never count. Deals whose owner is not matched to a rep are left out.

Naive lift: win rate of adopted minus not-adopted in-scope deals. It mostly measures that good reps certify first.
Adjusted lift: analytics.estimators.lift.ImputationLift (imputation difference-in-differences, rep bootstrap) by
default; `estimator="robust_imputation"` (opt-in) runs analytics.estimators.robust_lift.RobustImputationLift instead,
which adds its checks (imputable share, taught, spillover, placebo, pre-trend, joint estimates), `diagnostics` and
`event_study` (both JSON text, so the stored frame stays flat) and may give the evidence `not separable`.
Evidence tiers and the sentence: analytics.metrics.evidence.

Filters: every function takes the same deal filters, bound as parameters of sql/queries/closed_deals.sql and
message_deals.sql: close dates (`as_of`, `date_from`, `date_to`), lists of `segments`, `teams`, `regions` and
`managers` (empty = all; several values = their union) and `rep_ids` (None = every rep; a list = only those reps'
deals, e.g. a manager's own team). A filter only decides which closed deals enter; the estimator is unchanged, so
a filtered estimate equals the estimate on a database holding only the filtered deals. Restricting to a team (or
region, manager, rep scope) therefore restricts BOTH the adopted deals and the control deals the adjusted model is
fitted on to those reps: the lift compares that team's adopted deals with that team's own other deals, never with
the rest of the company. Pages pass the sidebar's `Filters` (message_impact, lift_arguments).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import json

import numpy as np
import pandas as pd

from analytics.db import sql
from analytics.estimators import ESTIMATORS
from analytics.estimators.lift import N_BOOT, ImputationLift
from analytics.estimators.robust_lift import CHECK_COLUMNS, RobustImputationLift
from analytics.filters import Filters
from analytics.metrics.deals import win_rate
from analytics.metrics.evidence import describe_lift, evidence_tier
from analytics.results import stored

FILTERS = ("as_of", "date_from", "date_to", "segments", "teams", "regions", "managers", "rep_ids")
ABILITY_PRIOR_DEALS = 10
STRATA_BY = ("segment", "ability_band")
LIFT_ESTIMATORS = (ImputationLift.name, RobustImputationLift.name)      # the default first


def lift_arguments(filters: Filters = Filters(), as_of: date | None = None) -> dict:
    """message_lift's keyword filters for the sidebar's: close dates in the range up to as_of, and every list."""
    return {"as_of": as_of, "date_from": filters.start, "date_to": filters.end, "segments": filters.segments,
            "teams": filters.teams, "regions": filters.regions, "managers": filters.managers,
            "rep_ids": filters.rep_ids}


def message_impact(con, filters: Filters = Filters(), as_of: date | None = None, n_boot: int = N_BOOT,
                   estimator: str = ImputationLift.name) -> pd.DataFrame:
    """Naive and adjusted lift per message (message_lift) on the deals the filters keep, closed up to `as_of`, in
    launch order; a team, region, manager or rep scope restricts both adopted and control deals to those reps."""
    out = message_lift(con, n_boot=n_boot, estimator=estimator, **lift_arguments(filters, as_of))
    if filters.messages:
        out = out[out["message_id"].isin(filters.messages)]
    return out.reset_index(drop=True)


def deal_window(con, as_of: date | None = None, date_from: date | None = None, date_to: date | None = None) -> dict:
    """The close-date filters as the closed deals they admit (equal windows keep the same deals)."""
    # None when a bound excludes no deal, else the nearest close date inside it ("none": it admits no deal)
    as_of, date_from, date_to = (None if d is None else pd.Timestamp(d).date() for d in (as_of, date_from, date_to))
    upper = min((d for d in (as_of, date_to) if d is not None), default=None)
    b = con.execute(sql("queries/date_bounds.sql"), {"upper": upper, "lower": date_from}).fetchone()
    first, last, until_upper, from_lower = b[0], b[1], b[2], b[3]
    if upper is None or last is None or upper >= last:
        close_to = None
    else:
        close_to = until_upper if until_upper is not None else "none"
    if date_from is None or first is None or date_from <= first:
        close_from = None
    else:
        close_from = from_lower if from_lower is not None else "none"
    return {"close_from": close_from, "close_to": close_to}


def _lift_key(con, arguments: dict) -> dict:
    """message_lift's arguments with the close dates replaced by the deals they admit (same deals, same answer)."""
    a = arguments
    params = _params(a["as_of"], a["date_from"], a["date_to"], segments=a["segments"], teams=a["teams"],
                     regions=a["regions"], managers=a["managers"], rep_ids=a["rep_ids"])
    window = deal_window(con, params.pop("as_of"), params.pop("date_from"), params.pop("date_to"))
    key = {**params, **window, "n_boot": a["n_boot"], "seed": a["seed"]}
    if a["estimator"] != ImputationLift.name:       # named only when not the default: stored defaults keep their keys
        key["estimator"] = a["estimator"]
    return key


@stored(key=_lift_key)
def message_lift(con, as_of: date | None = None, date_from: date | None = None, date_to: date | None = None,
                 n_boot: int = N_BOOT, seed: int = 0, *, segments: Sequence[str] = (), teams: Sequence[str] = (),
                 regions: Sequence[str] = (), managers: Sequence[str] = (),
                 rep_ids: Sequence[str] | None = None, estimator: str = ImputationLift.name) -> pd.DataFrame:
    """One row per message: naive and adjusted lift (pp), 95 % rep-bootstrap intervals and evidence tier, on the
    closed deals the filters keep (a team filter restricts both adopted and control deals to the team's reps)."""
    if estimator not in LIFT_ESTIMATORS:
        raise ValueError(f"estimator must be one of {', '.join(LIFT_ESTIMATORS)}, not {estimator!r}")
    params = _params(as_of, date_from, date_to, segments=segments, teams=teams, regions=regions, managers=managers,
                     rep_ids=rep_ids)
    messages = _messages(con)
    ids = list(messages["message_id"])
    if estimator == RobustImputationLift.name:
        return _robust_lift(con, messages, params, n_boot, seed)
    # both sorted by deal_key, so pairs find their deal by one sweep of binary searches; message positions from SQL
    deals = fetch(con, "queries/lift_deals", params)
    pairs = fetch(con, "queries/lift_pairs", {**params, "message_id": None, "message_ids": ids})
    fitted = ImputationLift(n_boot=n_boot, seed=seed).fit(deals, pairs, ids)
    est = fitted.counts_

    out = messages.copy()
    for col in ("closed_deals_adopted", "closed_deals_not_adopted", "reps_adopted", "reps_not_adopted",
                "won_adopted", "won_not_adopted", "adjusted_deals", "closed_deals_tagged", "won_tagged"):
        out[col] = est[col]
    out["win_rate_adopted"] = win_rate(est["won_adopted"], est["closed_deals_adopted"] - est["won_adopted"])
    out["win_rate_not_adopted"] = win_rate(est["won_not_adopted"],
                                           est["closed_deals_not_adopted"] - est["won_not_adopted"])
    out["naive_lift_pp"] = 100 * (out["win_rate_adopted"] - out["win_rate_not_adopted"])
    out["naive_ci_low_pp"], out["naive_ci_high_pp"] = fitted.naive_ci_[:, 0], fitted.naive_ci_[:, 1]
    out["adjusted_lift_pp"] = fitted.effects_
    out["ci_low_pp"], out["ci_high_pp"] = fitted.ci_[:, 0], fitted.ci_[:, 1]
    untagged = est["closed_deals_in_scope"] - est["closed_deals_tagged"]
    out["win_rate_tagged"] = win_rate(est["won_tagged"], est["closed_deals_tagged"] - est["won_tagged"])
    out["win_rate_untagged"] = win_rate(est["won_in_scope"] - est["won_tagged"],
                                        untagged - (est["won_in_scope"] - est["won_tagged"]))
    out["tagged_lift_pp"] = 100 * (out["win_rate_tagged"] - out["win_rate_untagged"])
    out["evidence"] = [
        evidence_tier(r.closed_deals_adopted, r.closed_deals_not_adopted, r.reps_adopted, r.reps_not_adopted,
                      r.adjusted_lift_pp, r.ci_low_pp, r.ci_high_pp)
        for r in out.itertuples()]
    out["method"] = fitted.method_
    out["summary"] = [describe_lift(r) for r in out.to_dict("records")]
    return out


def _robust_lift(con, messages: pd.DataFrame, params: dict, n_boot: int, seed: int) -> pd.DataFrame:
    """message_lift's frame from RobustImputationLift, with its checks, diagnostics and event study per message."""
    ids = list(messages["message_id"])
    deals = fetch(con, "queries/robust_lift_deals", params)
    pairs = fetch(con, "queries/robust_lift_pairs", {**params, "message_id": None, "message_ids": ids})
    launches = dict(zip(messages["message_id"], messages["launch_date"]))
    fitted = ESTIMATORS[RobustImputationLift.name](n_boot=n_boot, seed=seed).fit(deals, pairs, ids, launches)
    est = fitted.tidy()
    out = messages.copy()
    for col in ("closed_deals_adopted", "closed_deals_not_adopted", "reps_adopted", "reps_not_adopted",
                "won_adopted", "won_not_adopted", "adjusted_deals", "closed_deals_tagged", "won_tagged"):
        out[col] = est[col].to_numpy()
    out["win_rate_adopted"] = win_rate(out["won_adopted"], out["closed_deals_adopted"] - out["won_adopted"])
    out["win_rate_not_adopted"] = win_rate(out["won_not_adopted"],
                                           out["closed_deals_not_adopted"] - out["won_not_adopted"])
    out["naive_lift_pp"] = 100 * (out["win_rate_adopted"] - out["win_rate_not_adopted"])
    out["naive_ci_low_pp"] = est["naive_ci_low_pp"].to_numpy()
    out["naive_ci_high_pp"] = est["naive_ci_high_pp"].to_numpy()
    out["adjusted_lift_pp"] = est["lift_pp"].to_numpy()
    out["ci_low_pp"], out["ci_high_pp"] = est["ci_low_pp"].to_numpy(), est["ci_high_pp"].to_numpy()
    in_scope, won_in_scope = est["closed_deals_in_scope"].to_numpy(), est["won_in_scope"].to_numpy()
    won_untagged = won_in_scope - out["won_tagged"]
    out["win_rate_tagged"] = win_rate(out["won_tagged"], out["closed_deals_tagged"] - out["won_tagged"])
    out["win_rate_untagged"] = win_rate(won_untagged, in_scope - out["closed_deals_tagged"] - won_untagged)
    out["tagged_lift_pp"] = 100 * (out["win_rate_tagged"] - out["win_rate_untagged"])
    out["evidence"] = est["evidence"].to_numpy()
    out["method"] = est["method"].to_numpy()
    for col in CHECK_COLUMNS:
        out[col] = est[col].to_numpy()
    out["joint_with"] = [", ".join(j) if isinstance(j, list) else "" for j in est["joint_with"]]
    out["diagnostics"] = [json.dumps(list(x)) for x in est["diagnostics"]]
    out["event_study"] = [json.dumps([{k: _plain(v) for k, v in r.items()} for r in x]) for x in est["event_study"]]
    out["summary"] = [_joint_sentence(r) if r["evidence"] == "not separable" else describe_lift(r)
                      for r in out.to_dict("records")]
    return out


def _joint_sentence(row: Mapping) -> str:
    """The sentence for a message certified together with another: only their joint effect is known."""
    text = (f"Certified together with {row['joint_with'] or 'another message'}: their separate effects can't be "
            "told apart")
    joint, low, high = row["joint_lift_pp"], row["joint_ci_low_pp"], row["joint_ci_high_pp"]
    if pd.notna(joint):
        text += f"; together {joint:+.1f} points"
        if pd.notna(low) and pd.notna(high):
            text += f" (likely between {low:+.1f} and {high:+.1f})"
    return f"{text}. Evidence: not separable."


def _plain(value):
    """A JSON-safe scalar: numpy numbers as Python numbers, NaN as None."""
    if isinstance(value, (np.floating, float)):
        return float(value) if np.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def win_rate_over_time(con, message_id: str | None = None, freq: str = "month", **filters) -> pd.DataFrame:
    """Win rate per message and period of the deals in its segment: before launch, adopted, not adopted (filters as
    message_lift's)."""
    if freq not in ("week", "month", "quarter"):
        raise ValueError(f"freq must be week, month or quarter, not {freq!r}")
    rows = _counts(con, "queries/deal_counts_by_day", message_id, filters)
    code = {"week": "W-MON", "month": "M", "quarter": "Q"}[freq]
    rows["period"] = pd.to_datetime(rows["close_date"]).dt.to_period(code).dt.start_time
    rows["group"] = np.where(~rows["is_in_scope"], "before launch",
                             np.where(rows["is_adopted"], "adopted", "not adopted"))
    out = (rows.groupby(["message_id", "period", "group"], as_index=False)
           .agg(deals=("deals", "sum"), won=("won", "sum")))
    out["win_rate"] = win_rate(out["won"], out["deals"] - out["won"])
    return out.sort_values(["message_id", "period", "group"], ignore_index=True)


def rep_ability(con, message_id: str | None = None, **filters) -> pd.DataFrame:
    """Rep ability per message: win rate on deals closed before launch, shrunk to the mean, in tercile bands."""
    params = {**_filter_params(filters), "message_id": message_id}
    counts = pd.DataFrame(con.execute(sql("queries/pre_launch_deals.sql"), params).fetchnumpy())
    counts = counts.astype({"message_id": "str", "rep_id": "str"})
    messages = _messages(con)
    if message_id is not None:
        messages = messages[messages["message_id"] == message_id]
    frames = []
    for m in messages.itertuples():
        g = counts[counts["message_id"] == m.message_id].drop(columns="message_id").set_index("rep_id")
        prior = win_rate(g["pre_won"].sum(), g["pre_deals"].sum() - g["pre_won"].sum())
        g["ability"] = (g["pre_won"] + ABILITY_PRIOR_DEALS * prior) / (g["pre_deals"] + ABILITY_PRIOR_DEALS)
        g["ability_band"] = _terciles(g["ability"])
        g = g.reset_index()
        g.insert(0, "message_id", m.message_id)
        frames.append(g)
    cols = ["message_id", "rep_id", "pre_deals", "pre_won", "ability", "ability_band"]
    return pd.concat(frames, ignore_index=True)[cols] if frames else pd.DataFrame(columns=cols)


def stratified_lift(con, message_id: str | None = None, by: str = "segment", **filters) -> pd.DataFrame:
    """Naive win rates of adopted vs not-adopted in-scope deals within strata (segment or rep ability band); filters
    as message_lift's, also for the ability bands."""
    return strata(con, message_id, (by,), **filters)


def strata(con, message_id: str | None = None, by: tuple[str, ...] = STRATA_BY, **filters) -> pd.DataFrame:
    """stratified_lift for several strata at once (rows of each `by` in turn), counting the deals once."""
    for b in by:
        if b not in STRATA_BY:
            raise ValueError(f"by must be 'segment' or 'ability_band', not {b!r}")
    counts = _counts(con, "queries/deal_counts_by_rep", message_id, filters)
    ability = rep_ability(con, message_id, **filters) if "ability_band" in by else None
    return pd.concat([_stratified(counts, b, ability) for b in by], ignore_index=True)


def _stratified(counts: pd.DataFrame, by: str, ability: pd.DataFrame | None) -> pd.DataFrame:
    """Win rates within strata from in-scope deal counts per message, rep, segment and adoption."""
    rows = counts
    if by == "ability_band":
        rows = rows.merge(ability[["message_id", "rep_id", "ability_band"]], on=["message_id", "rep_id"], how="left")
        rows["ability_band"] = rows["ability_band"].fillna("unknown")
    rows = rows.assign(stratum=rows[by].fillna("(none)").astype(str))
    adopted = rows["is_adopted"].astype(bool)
    rows["deals_adopted"] = rows["deals"].where(adopted, 0)
    rows["won_adopted"] = rows["won"].where(adopted, 0)
    rows["won_not_adopted"] = rows["won"].where(~adopted, 0)
    out = (rows.groupby(["message_id", "stratum"], as_index=False)
           .agg(deals_adopted=("deals_adopted", "sum"), deals=("deals", "sum"),
                won_adopted=("won_adopted", "sum"), won_not_adopted=("won_not_adopted", "sum")))
    out["deals_not_adopted"] = out["deals"] - out["deals_adopted"]
    out["win_rate_adopted"] = win_rate(out["won_adopted"], out["deals_adopted"] - out["won_adopted"])
    out["win_rate_not_adopted"] = win_rate(out["won_not_adopted"], out["deals_not_adopted"] - out["won_not_adopted"])
    out["lift_pp"] = 100 * (out["win_rate_adopted"] - out["win_rate_not_adopted"])
    totals = out.groupby("message_id")[["deals_adopted", "deals_not_adopted"]].transform("sum")
    out["share_of_adopted"] = out["deals_adopted"] / totals["deals_adopted"].where(totals["deals_adopted"] > 0)
    out["share_of_not_adopted"] = (out["deals_not_adopted"]
                                   / totals["deals_not_adopted"].where(totals["deals_not_adopted"] > 0))
    out.insert(1, "by", by)
    order = {"low": 0, "middle": 1, "high": 2, "unknown": 3} if by == "ability_band" else {}
    out["order"] = out["stratum"].map(order).fillna(-1) if order else 0
    out = out.sort_values(["message_id", "order", "stratum"], ignore_index=True)
    cols = ["message_id", "by", "stratum", "deals_adopted", "deals_not_adopted", "win_rate_adopted",
            "win_rate_not_adopted", "lift_pp", "share_of_adopted", "share_of_not_adopted"]
    return out[cols]


def fetch(con, name: str, params: dict) -> dict:
    """A query's columns as numpy arrays (no DataFrame conversion): sql/<name>.sql with its bound parameters."""
    return con.execute(sql(f"{name}.sql"), params).fetchnumpy()


def _counts(con, name: str, message_id: str | None, filters: dict) -> pd.DataFrame:
    """A deal-count query (closed `deals` and `won` per key) under the keyword filters, for one or every message."""
    return pd.DataFrame(fetch(con, name, {**_filter_params(filters), "message_id": message_id}))


def _messages(con) -> pd.DataFrame:
    return con.execute(sql("marts/dim_messages.sql")).df()[["message_id", "message_name", "launch_date",
                                                             "target_segment"]]


def _terciles(values: pd.Series) -> pd.Series:
    if values.empty:
        return pd.Series([], index=values.index, dtype=object)
    ranks = values.rank(method="first", pct=True)
    return pd.Series(np.select([ranks <= 1 / 3, ranks <= 2 / 3], ["low", "middle"], "high"), index=values.index)


def _filter_params(filters: Mapping) -> dict:
    """Bound parameters from keyword filters (FILTERS); unknown names are refused."""
    unknown = set(filters) - set(FILTERS)
    if unknown:
        raise TypeError(f"unknown filters: {sorted(unknown)}")
    return _params(**filters)


def _params(as_of=None, date_from=None, date_to=None, *, segments=(), teams=(), regions=(), managers=(),
            rep_ids=None) -> dict:
    """The deal queries' bound parameters: dates, value lists (empty = all) and rep_ids (None = every rep)."""
    return {"as_of": as_of, "date_from": date_from, "date_to": date_to, "segments": _listed(segments),
            "teams": _listed(teams), "regions": _listed(regions), "managers": _listed(managers),
            "rep_ids": None if rep_ids is None else _listed(rep_ids)}


def _listed(values) -> list:
    """A list of filter values: None is none, one string is one value."""
    if values is None:
        return []
    return [values] if isinstance(values, str) else list(values)
