"""Adjusted win-rate lift per message that says when the data cannot tell: imputation DiD with guards and checks.

Longer than most modules because the checks share one fitted model per message; the linear algebra lives in
analytics.estimators.fixed_effects. The method (Borusyak, Jaravel & Spiess 2024, on a linear probability model):

Deal classes, per message (a group of messages certified together counts as one):
- adopted: in scope and the owner certified on or before the close date (the product's definition);
- taught, not yet certified: in scope, after launch, owner certifies later (a kickoff may already have moved it);
- spillover: outside the message's segment, owner already certified (the same rep may use the message anyway);
- control: everything else.
Untreated model, on every deal but the adopted ones: won ~ rep + period (team x period when the data carry it) +
segment + amount band + deal type + every other message's state (adopted under 3, 3-11 and 12+ months since
certification, taught, spillover) x segment + this message's taught and spillover deals x segment. So taught and
spillover deals are never taken as unaffected (their own effects are estimated: `taught_*`, `spillover_*`), and
another message's effect, even one that differs by segment or grows with time, is modelled rather than forced to
add up with a single coefficient, so it cannot leak into this message's estimate.
Team x period rule: used when there are at least 2 teams and at least TEAM_MIN_SHARE of the adopted deals lie in
team-periods with TEAM_MIN_CONTROLS control deals (the guard then drops the others); otherwise company-wide periods
plus a straight-line trend per team, and the evidence is at most directional (the method says which ran).
Guard: an adopted deal is imputed only when its rep has a control deal and its period (or team-period) and every
other-message state it carries have MIN_LEVEL_CONTROLS control deals; `imputable_share` reports the share kept.
Estimate: the mean residual (won minus untreated prediction) of the imputed adopted deals: the average effect on
those deals. Also: `since launch` (adopted and taught deals: exposure from the kickoff, their deal-weighted mean),
and the event study (lags: months since certification; leads: coefficients of the months before
certification added to the control model, BJS's pre-trend test, whose joint Wald p-value is `pretrend_p`).
Placebo launch: a dummy for in-scope deals of later certifiers in the PLACEBO_MONTHS before launch.
Not separable: two messages are merged when over SEPARABLE_SHARE of the deals adopted for either are adopted for both,
or when most are (over half) and the deals adopted for one but not the other are too few for a moderate claim (under
MIN_DEALS["moderate"] deals or MIN_REPS["moderate"] reps): each separate effect would rest on those deals alone. Both
rows get the joint estimate in `joint_*` columns, no separate lift, and evidence `not separable`.
Intervals: studentized (bootstrap-t) rep bootstrap over each rep's exact influence on the estimate, each rep's
influence rescaled by the CR2-type small-sample factor (fixed_effects.leverage_scale); cluster="team" resamples
teams (the factors stay per rep). Evidence: the count and
interval tiers (analytics.settings.evidence_tier), then at most directional when the imputable share is under
MIN_IMPUTABLE_SHARE, team trends could only be modelled as lines, the pre-trend test fails (p < PRETREND_ALPHA)
or the placebo interval excludes zero.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analytics.estimators import fixed_effects as fe
from analytics.estimators.robust_lift_checks import (LAG_STARTS, MIN_LEVEL_CONTROLS, N_LAGS, PLACEBO_MONTHS,
                                                     event_and_checks, month_index)
from analytics.settings import EVIDENCE_TIERS, MIN_DEALS, MIN_REPS, evidence_tier  # noqa: F401 (tiers: public here)

N_BOOT = 400
AMOUNT_BANDS = 5
MAX_LEVELS = 12
LEAD_STARTS = (-1, -2, -3, -6, -12)           # bins before certification: -1, -2, -3, -4..-6, -7..-12
TAUGHT, SPILL = N_LAGS + 1, N_LAGS + 2        # state codes after the lag bins (0 = not exposed)
# Another message's state in this message's model: adopted under 3, 3-11 and 12+ months, taught, spillover (coarser
# than the event study's bins: each level costs precision in the imputation of every deal that carries it).
OTHER_STATE = np.array([0, 1, 1, 1, 2, 2, 2, 2, 3, 4, 5])
TEAM_MIN_CONTROLS = 10
TEAM_MIN_SHARE = 0.25
MIN_IMPUTABLE_SHARE = 0.5
SEPARABLE_SHARE = 0.9
PRETREND_ALPHA = 0.05
ESTIMANDS = ("certified", "taught", "spillover", "since_launch") + tuple(f"lag{k}" for k in LAG_STARTS)
CHECK_COLUMNS = ("imputable_share", "se_pp", "launch_lift_pp", "launch_ci_low_pp", "launch_ci_high_pp", "launch_deals",
                 "taught_lift_pp", "taught_ci_low_pp", "taught_ci_high_pp", "taught_deals", "spillover_lift_pp",
                 "spillover_ci_low_pp", "spillover_ci_high_pp", "spillover_deals", "placebo_lift_pp",
                 "placebo_ci_low_pp", "placebo_ci_high_pp", "pretrend_p", "joint_with", "joint_lift_pp",
                 "joint_ci_low_pp", "joint_ci_high_pp", "together_share")
COUNT_COLUMNS = ("closed_deals_adopted", "closed_deals_not_adopted", "won_adopted", "won_not_adopted",
                 "reps_adopted", "reps_not_adopted", "closed_deals_in_scope", "won_in_scope", "closed_deals_tagged",
                 "won_tagged", "adjusted_deals")


class RobustImputationLift:
    """Lift per message with identification guards and checks; fit() learns counts_, effects_, ci_, evidence_,
    diagnostics_, event_study_, units_, covered_ (deal positions behind each message's estimate) and deal_sets_
    (the same for the certified, taught, spillover and since-launch estimates)."""

    name = "robust_imputation"

    def __init__(self, n_boot: int = N_BOOT, seed: int = 0, cluster: str = "rep", team_column: str = "team",
                 keep_weights: bool = False):
        self.keep_weights = keep_weights           # weights_: each deal's exact weight in the certified estimate
        self.n_boot = n_boot
        self.seed = seed
        self.cluster = cluster
        self.team_column = team_column

    def fit(self, deals: Mapping, pairs: Mapping, message_ids: list[str],
            launch_dates: Mapping | None = None, only: Sequence[str] | None = None) -> RobustImputationLift:
        """Closed deals (deal_key, rep_id, close_date, segment, amount, deal_type, is_won, team) and deal x message
        pairs (deal_key, message_id or message_ix, is_adopted, is_tagged; optional is_in_scope and certified_on,
        which enable the taught, spillover, lead and placebo checks). `only`: estimate just the messages named (and
        those certified together with them; the others get no estimate), e.g. one message's event study on a page."""
        if self.cluster not in ("rep", "team"):
            raise ValueError("cluster must be 'rep' or 'team'")
        d = _prepare(deals, pairs, list(message_ids), self.team_column, launch_dates)
        d["keep_weights"] = self.keep_weights
        self.message_ids_ = list(message_ids)
        self.counts_ = _counts(d)
        self.units_ = d["unit_members"] = _units(d)
        states = np.column_stack([_states(d, u) for u in self.units_]) if self.units_ else np.zeros((d["n"], 0))
        clusters = d["rep_team"] if self.cluster == "team" else np.arange(d["R"])
        G = int(clusters.max()) + 1 if len(clusters) else 0
        weights = fe.bootstrap_weights(G, self.n_boot, self.seed)
        wanted = set(message_ids) if only is None else set(only)
        self.fits_ = [_fit_unit(d, k, states, clusters, G, weights)
                      if any(self.message_ids_[m] in wanted for m in unit) else None
                      for k, unit in enumerate(self.units_)]
        self.weights_ = [None if f is None else f.get("weights") for f in self.fits_]   # per unit (pp per win)
        self.naive_ci_ = _naive_interval(d, self.n_boot, self.seed)
        self._summarise(d)
        return self

    def _summarise(self, d: dict) -> None:
        M = len(self.message_ids_)
        self.effects_, self.ci_ = np.full(M, np.nan), np.full((M, 2), np.nan)
        self.evidence_ = [None] * M
        self.diagnostics_, self.event_study_ = [[] for _ in range(M)], [[] for _ in range(M)]
        self.method_, self.covered_, self.extra_ = [""] * M, [None] * M, [dict() for _ in range(M)]
        self.deal_sets_ = [None] * M
        adjusted = np.zeros(M, dtype=int)
        for unit, f in zip(self.units_, self.fits_):
            if f is None:                        # not asked for (fit's `only`)
                continue
            for m in unit:
                c = {k: v[m] for k, v in self.counts_.items()}
                est, ci = f["tau"][0], f["ci"][0]
                adopted = c["closed_deals_adopted"] if len(unit) == 1 else f["adopted"]
                share = f["counts"][0] / adopted if adopted else np.nan
                notes, capped = _diagnostics(f, share, unit, m, self.message_ids_)
                self.diagnostics_[m] = notes
                self.event_study_[m] = f["event_study"]
                self.method_[m], self.covered_[m], self.deal_sets_[m] = f["method"], f["covered"], f["deal_sets"]
                adjusted[m] = f["counts"][0]
                extra = {"imputable_share": share, "se_pp": f["se"][0], "pretrend_p": f["pretrend_p"],
                         "placebo_lift_pp": f["placebo"][0], "placebo_ci_low_pp": f["placebo"][1],
                         "placebo_ci_high_pp": f["placebo"][2]}
                for j, name in ((3, "launch"), (1, "taught"), (2, "spillover")):
                    extra.update({f"{name}_lift_pp": f["tau"][j], f"{name}_ci_low_pp": f["ci"][j][0],
                                  f"{name}_ci_high_pp": f["ci"][j][1], f"{name}_deals": int(f["counts"][j])})
                if len(unit) > 1:
                    extra.update(joint_with=[self.message_ids_[o] for o in unit if o != m], joint_lift_pp=est,
                                 joint_ci_low_pp=ci[0], joint_ci_high_pp=ci[1], together_share=f["together"])
                    self.evidence_[m] = "not separable"
                else:
                    self.effects_[m], self.ci_[m] = est, ci
                    # the adopted arm is the imputed deals: the estimate rests on them alone
                    self.evidence_[m] = evidence_tier(f["counts"][0], c["closed_deals_not_adopted"], f["reps"][0],
                                                      c["reps_not_adopted"], est, *ci, capped=capped)
                self.extra_[m] = extra
        self.counts_["adjusted_deals"] = adjusted

    def tidy(self) -> pd.DataFrame:
        """One row per message: counts, lift and interval (pp), evidence, checks, diagnostics and event study."""
        out = pd.DataFrame({"message_id": self.message_ids_, **self.counts_})
        out["lift_pp"] = self.effects_
        out["ci_low_pp"], out["ci_high_pp"] = self.ci_[:, 0], self.ci_[:, 1]
        out["naive_ci_low_pp"], out["naive_ci_high_pp"] = self.naive_ci_[:, 0], self.naive_ci_[:, 1]
        out["evidence"] = [e or "insufficient" for e in self.evidence_]
        out["method"] = self.method_
        extra = pd.DataFrame(self.extra_, columns=CHECK_COLUMNS, index=range(len(self.message_ids_)))
        extra["joint_with"] = extra["joint_with"].astype(object)
        out = pd.concat([out, extra], axis=1)
        out["diagnostics"] = self.diagnostics_
        out["event_study"] = self.event_study_
        return out


# ------------------------------------------------------------------------------------------------- preparing deals

def _prepare(deals: Mapping, pairs: Mapping, message_ids: list[str], team_column: str,
             launch_dates: Mapping | None) -> dict:
    """Codes, outcomes and dense deal x message flags (in segment, in scope, adopted, tagged), certification days."""
    keys, M = _column(deals, "deal_key"), len(message_ids)
    n = len(keys)
    pair_keys = _column(pairs, "deal_key")
    if n and keys.dtype.kind in "iu" and bool(np.all(keys[1:] > keys[:-1])):   # sorted and unique: binary search
        deal_ix = np.minimum(np.searchsorted(keys, pair_keys), n - 1)
        deal_ix = np.where(keys[deal_ix] == pair_keys, deal_ix, -1)
    else:
        index = pd.Index(keys)
        if not index.is_unique:
            raise ValueError("deal keys must be unique (one row per closed deal)")
        deal_ix = index.get_indexer(pair_keys)
    if "message_ix" in pairs:
        msg_ix = np.nan_to_num(_column(pairs, "message_ix").astype(float), nan=-1.0).astype(np.int64)
    else:
        msg_ix = pd.Index(message_ids).get_indexer(_column(pairs, "message_id"))
    keep = (deal_ix >= 0) & (msg_ix >= 0)
    di, mi = deal_ix[keep], msg_ix[keep]
    flags = {}
    for name, default in (("row", True), ("in_scope", True), ("adopted", None), ("tagged", None)):
        column = {"row": None, "in_scope": "is_in_scope", "adopted": "is_adopted", "tagged": "is_tagged"}[name]
        flag = np.zeros((n, M), dtype=bool)
        flag[di, mi] = True if column is None or column not in pairs else _column(pairs, column).astype(bool)[keep]
        flags[name] = flag
    flags["adopted"] &= flags["in_scope"]
    rep, R = _codes(_column(deals, "rep_id"))
    close = pd.DatetimeIndex(pd.to_datetime(_column(deals, "close_date")))
    day = np.asarray(close.values.astype("datetime64[D]").astype(np.int64)) if n else np.zeros(0, np.int64)
    month = np.asarray(close.year * 12 + close.month, dtype=np.int64) if n else np.zeros(0, np.int64)
    cert = np.full((R, M), np.nan)
    for column in ("certified_on", "certified_at"):
        if column in pairs:
            when = pd.to_datetime(_column(pairs, column)[keep])
            known = ~pd.isna(when)
            cert[rep[di[known]], mi[known]] = np.asarray(when[known].values.astype("datetime64[D]").astype(float))
            break
    team_name = team_column if team_column in deals else ("manager" if "manager" in deals else None)
    team = _codes(_column(deals, team_name))[0] if team_name else np.zeros(n, np.int64)
    rep_team = np.zeros(R, np.int64)
    rep_team[rep] = team
    team = rep_team[rep]                                  # one team per rep (its roster team)
    segment, C = _codes(_column(deals, "segment"), MAX_LEVELS)
    band, leaks = _amount_band(deals)
    launch = np.full(M, np.nan)
    for m, mid in enumerate(message_ids):
        if launch_dates is not None and mid in launch_dates and not _missing(launch_dates[mid]):
            launch[m] = pd.Timestamp(launch_dates[mid]).to_datetime64().astype("datetime64[D]").astype(float)
        elif flags["in_scope"][:, m].any():
            launch[m] = day[flags["in_scope"][:, m]].min()
    return {"n": n, "M": M, "R": R, "rep": rep, "y": _column(deals, "is_won").astype(float), "day": day,
            "month": month, "cert": cert, "launch": launch, "team": team, "rep_team": rep_team,
            "n_teams": int(team.max()) + 1 if n else 0, "segment": segment, "C": max(C, 1), "band": band,
            "leaks": leaks, "deal_type": _codes(_column(deals, "deal_type"), MAX_LEVELS)[0], **flags}


def _counts(d: dict) -> dict:
    """Closed deals, wins and reps per message by arm (adopted or not, among in-scope deals), and tagged deals."""
    R, M, rep, y = d["R"], d["M"], d["rep"], d["y"]

    def per_rep(mask, weights=None):
        i, m = np.nonzero(mask)
        return np.bincount(rep[i] * M + m, weights=None if weights is None else weights[i],
                           minlength=R * M).reshape(R, M)

    na, wa = per_rep(d["adopted"]), per_rep(d["adopted"], y)
    nn, wn = per_rep(d["in_scope"] & ~d["adopted"]), per_rep(d["in_scope"] & ~d["adopted"], y)
    tagged = d["tagged"] & d["in_scope"]
    d["rep_arms"] = (na, wa, nn, wn)
    return {"closed_deals_adopted": na.sum(0).astype(int), "closed_deals_not_adopted": nn.sum(0).astype(int),
            "won_adopted": wa.sum(0).astype(int), "won_not_adopted": wn.sum(0).astype(int),
            "reps_adopted": (na > 0).sum(0), "reps_not_adopted": (nn > 0).sum(0),
            "closed_deals_in_scope": (na + nn).sum(0).astype(int), "won_in_scope": (wa + wn).sum(0).astype(int),
            "closed_deals_tagged": per_rep(tagged).sum(0).astype(int),
            "won_tagged": per_rep(tagged, y).sum(0).astype(int), "adjusted_deals": np.zeros(M, dtype=int)}


def _units(d: dict) -> list[tuple[int, ...]]:
    """Messages, with those adopted together merged into one unit (over SEPARABLE_SHARE of their deals shared, or
    over half and too few deals or reps adopted for just one of them to tell the effects apart)."""
    M, a = d["M"], d["adopted"]
    parent = list(range(M))

    def root(i):
        while parent[i] != i:
            i = parent[i]
        return i

    for i in range(M):
        for j in range(i + 1, M):
            both, either = (a[:, i] & a[:, j]).sum(), (a[:, i] | a[:, j]).sum()
            apart = a[:, i] ^ a[:, j]                  # the deals that tell the two effects apart
            too_few = (apart.sum() < MIN_DEALS["moderate"]
                       or len(np.unique(d["rep"][apart])) < MIN_REPS["moderate"])
            if either and (both / either > SEPARABLE_SHARE or (both > apart.sum() and too_few)):
                parent[root(j)] = root(i)
    groups: dict[int, list[int]] = {}
    for i in range(M):
        groups.setdefault(root(i), []).append(i)
    return [tuple(g) for g in groups.values()]


def _states(d: dict, unit: tuple[int, ...]) -> np.ndarray:
    """Each deal's state for a unit: 0 not exposed, 1..N_LAGS adopted by months since certification, TAUGHT, SPILL."""
    rep, day, cols = d["rep"], d["day"], list(unit)
    cert = d["cert"][rep][:, cols]                                      # n x members, NaN: never certified
    adopted = d["adopted"][:, cols].any(1)
    later = d["in_scope"][:, cols] & ~d["adopted"][:, cols] & (cert > day[:, None])
    spill = ~d["row"][:, cols] & (cert <= day[:, None])
    first = month_index(np.nanmin(np.where(np.isfinite(cert), cert, np.inf), axis=1))
    lag = np.searchsorted(LAG_STARTS, d["month"] - first, side="right")
    state = np.where(adopted, np.clip(lag, 1, N_LAGS), 0)
    state = np.where(~adopted & later.any(1), TAUGHT, state)
    return np.where((state == 0) & spill.any(1), SPILL, state).astype(np.int8)


# ------------------------------------------------------------------------------------------------- one unit's model

def _fit_unit(d: dict, k: int, states: np.ndarray, clusters: np.ndarray, G: int, weights: np.ndarray) -> dict:
    """The untreated model of unit k on its controls, its estimates with intervals, event study and checks."""
    n, R, rep, C = d["n"], d["R"], d["rep"], d["C"]
    state = states[:, k]
    own = np.where(state == TAUGHT, 1, np.where(state == SPILL, 2, 0))
    exposed = (state >= 1) & (state <= N_LAGS)
    control = ~exposed             # taught and spillover deals too, with their own effects (below)
    periods = d["month"] - (d["month"].min() if n else 0)
    if n and periods.max() >= 36:
        periods = periods // 3
    unit_name = "quarter" if n and d["month"].max() - d["month"].min() >= 36 else "month"
    factors, label, trends = _time_effects(d, periods, control, state, unit_name)
    method = (f"imputation DiD: rep + {label} fixed effects, deal mix, other messages by segment; studentized "
              + ("team" if G < R else "rep") + " bootstrap")
    factors += [d["segment"], d["deal_type"]]
    minimum = [MIN_LEVEL_CONTROLS] * (len(factors) - 2) + [1, 1]
    if d["leaks"]:
        method += "; amount left out (zero on lost deals)"
    else:
        factors.append(d["band"])
        minimum.append(1)
    first_other = len(factors)
    for v in range(states.shape[1]):
        if v != k:
            coarse = OTHER_STATE[states[:, v]]
            factors.append(np.where(coarse > 0, (coarse - 1) * C + d["segment"] + 1, 0))
            minimum.append(MIN_LEVEL_CONTROLS)
    factors.append(np.where(own > 0, (own - 1) * C + d["segment"] + 1, 0))
    minimum.append(1)
    ok = np.ones(n, dtype=bool)
    for i, (codes, least) in enumerate(zip(factors, minimum)):
        counts = np.bincount(codes[control], minlength=int(codes.max()) + 1 if n else 1)
        ok &= (counts[codes] >= least) | ((codes == 0) & (i >= first_other))   # "no other message" is no level
    X, names = fe.one_hot(factors, n)
    if trends:                                  # team trends: each team's own slope in time (rep effects: levels)
        slope = sp.csr_matrix((periods - periods.mean(), (np.arange(n), d["team"])), shape=(n, d["n_teams"]))
        X = sp.hstack([X, slope]).tocsr()
    # the time effects lead the design; team x period effects are block-diagonal by team (cheap to invert)
    fit = fe.fit_controls(X, d["y"], rep, R, control, lead=sum(f == 0 for f, _ in names))
    ok &= fit.n0[rep] > 0
    t = np.flatnonzero(exposed & ok)
    e = fe.imputation_residuals(fit, X[t], d["y"][t], rep[t])
    s = state[t]
    member = np.column_stack([(s >= 1) & (s <= N_LAGS), s == TAUGHT, s == SPILL, (s >= 1) & (s <= TAUGHT)]
                             + [s == b + 1 for b in range(N_LAGS)]).astype(float)
    tau, counts, psi, estimable = fe.mean_influence(fit, X[t], rep[t], e, sp.csr_matrix(member), R)
    rep_of = sp.csr_matrix((np.ones(len(t)), (rep[t], np.arange(len(t)))), shape=(R, len(t)))
    reps = np.asarray(((rep_of @ member) > 0).sum(0)).ravel()
    sets = {name: t[member[:, j] > 0] for j, name in enumerate(ESTIMANDS[:4])}
    # taught and spillover deals are controls with their own effect per segment: their estimates are coefficients
    column = {(f, level): i for i, (f, level) in enumerate(names)}
    f_own = len(factors) - 1
    for j, kind in ((1, 1), (2, 2)):
        deals = np.flatnonzero(own == kind)
        level = np.bincount((kind - 1) * C + d["segment"][deals] + 1, minlength=2 * C + 1)
        contrast = np.zeros(X.shape[1])
        for lv in np.flatnonzero(level):
            contrast[column[(f_own, lv)]] = level[lv] / len(deals)
        tau[j], counts[j], reps[j] = contrast @ fit.beta, len(deals), len(np.unique(rep[deals]))
        psi[:, j] = fe.contrast_influence(fit, contrast[:, None]).ravel()
        estimable[j] = len(deals) > 0 and fe.estimable(fit, contrast[:, None])[0]
        sets[ESTIMANDS[j]] = deals
    both = counts[0] + counts[1]
    w0, w1 = (counts[0] / both, counts[1] / both) if both else (0.0, 0.0)
    tau[3], counts[3], psi[:, 3] = w0 * tau[0] + w1 * tau[1], both, w0 * psi[:, 0] + w1 * psi[:, 1]
    reps[3], estimable[3] = max(reps[0], reps[1]), estimable[0] and estimable[1]
    sets["since_launch"] = np.concatenate([sets["certified"], sets["taught"]])
    tau[~estimable | (counts < MIN_DEALS["directional"]) | (reps < MIN_REPS["directional"])] = np.nan
    psi_g = _by_cluster(psi, clusters, G)
    se, ci = fe.studentized_interval(tau, psi_g, weights)
    out = {"tau": 100 * tau, "ci": 100 * ci, "se": 100 * se, "counts": counts, "method": method,
           "covered": t[member[:, 0] > 0], "deal_sets": sets, "reps": reps, "adopted": int(exposed.sum()),
           "team_periods": not trends, "estimable": bool(estimable[0])}
    if d.get("keep_weights") and counts[0]:
        adopted_t = member[:, 0] > 0
        out["weights"] = 100 * fe.deal_weights(fit, X, rep, t[adopted_t], np.full(int(counts[0]), 1 / counts[0]), n)
    out.update(event_and_checks(d, k, states, X, control, fit, clusters, G, weights, out))
    return out


def _time_effects(d: dict, periods: np.ndarray, control: np.ndarray, state: np.ndarray, unit_name: str):
    """Time fixed effects by the documented rule: team x period, else period + a straight-line trend per team
    (returns factors, a label for the method, whether trend columns are needed)."""
    if d["n_teams"] < 2:
        return [periods], unit_name, False
    P = int(periods.max()) + 1
    team_period = d["team"] * P + periods
    if _team_share(team_period, control, state) >= TEAM_MIN_SHARE:
        return [team_period], f"team x {unit_name}", False
    return [periods], f"{unit_name} + a linear trend per team", True


def _team_share(team_period: np.ndarray, control: np.ndarray, state: np.ndarray) -> float:
    """Share of the unit's adopted deals in team-periods holding at least TEAM_MIN_CONTROLS control deals."""
    adopted = (state >= 1) & (state <= N_LAGS)
    if not adopted.any():
        return 0.0
    counts = np.bincount(team_period[control], minlength=int(team_period.max()) + 1)
    return float((counts[team_period[adopted]] >= TEAM_MIN_CONTROLS).mean())


def _by_cluster(psi: np.ndarray, clusters: np.ndarray, G: int) -> np.ndarray:
    """Rep influence values summed by cluster (identity when clusters are reps)."""
    if G == len(clusters):
        return psi
    out = np.zeros((G, psi.shape[1]))
    np.add.at(out, clusters, psi)
    return out


def _naive_interval(d: dict, n_boot: int, seed: int) -> np.ndarray:
    """Percentile interval (pp) of adopted minus not-adopted win rate over rep bootstrap replicates."""
    na, wa, nn, wn = d["rep_arms"]
    w = fe.bootstrap_weights(d["R"], n_boot, seed + 1)
    out = np.full((d["M"], 2), np.nan)
    if len(w) < fe.MIN_REPLICATES:
        return out
    with np.errstate(invalid="ignore", divide="ignore"):
        naive = 100 * ((w @ wa) / (w @ na) - (w @ wn) / (w @ nn))
    for m in range(d["M"]):
        x = naive[:, m][np.isfinite(naive[:, m])]
        if len(x) >= 0.9 * len(naive):
            out[m] = np.percentile(x, [2.5, 97.5])
    return out


def _diagnostics(f: dict, share: float, unit: tuple[int, ...], m: int, ids: list[str]) -> tuple[list[str], bool]:
    """Short sentences on what limits the estimate, and whether they cap the evidence at directional."""
    notes, capped = [], False
    if len(unit) > 1:
        others = ", ".join(ids[o] for o in unit if o != m)
        notes.append(f"certified together with {others} by {f['together']:.0%} of reps who certified either: "
                     "their separate effects can't be told apart")
    if np.isfinite(share) and share < 0.995:
        text = f"{share:.0%} of adopted deals had control deals in their period, team and deal mix to compare with"
        if share < MIN_IMPUTABLE_SHARE:
            capped = True
            text += " (evidence lowered)"
        notes.append(text)
    if not f["estimable"]:
        notes.append("the control deals cannot separate this message's effect from time or the deal mix")
    if np.isfinite(f["pretrend_p"]) and f["pretrend_p"] < PRETREND_ALPHA:
        capped = True
        notes.append(f"deals in the months before certification already differed (pre-trend test p = "
                     f"{f['pretrend_p']:.3f}; evidence lowered)")
    low, high = f["placebo"][1:]
    if np.isfinite(low) and (low > 0 or high < 0):
        capped = True
        notes.append(f"a placebo launch {PLACEBO_MONTHS} months early shows an effect of {f['placebo'][0]:+.1f} pp "
                     "(evidence lowered)")
    for j, text in ((1, "deals between launch and certification already moved ({:+.1f} pp): the message may work "
                        "from the kickoff; see 'since launch'"),
                    (2, "the same reps' deals outside the segment moved too ({:+.1f} pp): spillover, not "
                        "taken as a control")):
        low, high = f["ci"][j]
        if np.isfinite(low) and (low > 0 or high < 0):
            notes.append(text.format(f["tau"][j]))
    if not f["team_periods"]:
        capped = True
        notes.append("team trends modelled only as straight lines: too few control deals per team and period "
                     "(evidence lowered)")
    return notes, capped


# --------------------------------------------------------------------------------------------------------- helpers

def _amount_band(deals: Mapping) -> tuple[np.ndarray, bool]:
    """Quintile band of positive amounts (0 = missing or zero), and whether amount leaks the outcome."""
    amount = _column(deals, "amount").astype(float)
    known = np.isfinite(amount) & (amount > 0)
    won = _column(deals, "is_won").astype(bool)
    band = np.zeros(len(amount), dtype=np.int64)
    if known.any():
        edges = np.unique(np.quantile(amount[known], np.linspace(0, 1, AMOUNT_BANDS + 1)[1:-1]))
        band[known] = 1 + np.searchsorted(edges, amount[known], side="right")
    leaks = False
    if won.any() and (~won).any():
        leaks = (1 - known[~won].mean()) - (1 - known[won].mean()) > 0.2
    return band, leaks


def _column(frame: Mapping, name: str) -> np.ndarray:
    """A column as a plain numpy array; SQL NULLs (masked values) become NaN, NaT or None."""
    values = frame[name]
    if isinstance(values, np.ma.MaskedArray):
        if values.dtype.kind in "fiu":
            return values.astype(float).filled(np.nan)
        if values.dtype.kind == "b":
            return values.filled(False)
        if values.dtype.kind == "M":
            return values.filled(np.datetime64("NaT"))
        return values.astype(object).filled(None)
    if isinstance(values, pd.Series):
        if values.dtype.kind in "fiu" or pd.api.types.is_float_dtype(values):
            return values.to_numpy(dtype=float, na_value=np.nan)
        return values.to_numpy()
    return np.asarray(values)


def _codes(values, max_levels: int | None = None) -> tuple[np.ndarray, int]:
    """Integer codes (missing is a level); beyond max_levels the rarest levels share one code."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False, sort=True)
    codes = codes.astype(np.int64)
    if max_levels is not None and len(uniques) > max_levels:
        rank = np.argsort(np.argsort(-np.bincount(codes), kind="stable"), kind="stable")
        return np.minimum(rank[codes], max_levels - 1), max_levels
    return codes, len(uniques)


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and not np.isfinite(x)) or (x is not None and pd.isna(x))
