"""Which messages win deals: naive and confounder-adjusted win-rate lift per message, with rep-clustered intervals.

Definitions (the one place in the code; pages show `DEFINITIONS`):
- A closed deal is *in scope* of a message when its segment matches the message's target segment (no target =
  every deal) and it closed on or after the launch date.
- A deal is *adopted* for a message when its owner passed that message's certification on or before the close
  date. A CRM column tagging the message used on a deal is reported separately, as the *tagged* definition.
- Win rate = won / (won + lost); open deals never count. Deals whose owner is not matched to a rep are left out.

Naive lift: win rate of adopted minus not-adopted in-scope deals. It mostly measures that good reps certify first.

Adjusted lift (imputation difference-in-differences, Borusyak, Jaravel & Spiess 2024, on a linear probability model):
1. Fit won ~ rep + month + segment + amount band + deal type (all fixed effects) by least squares on every closed
   deal adopted for no message: deals before launch, before their owner certified, outside the message's segment,
   and of reps who never certified. Rep effects absorb rep ability (the same reps' deals before adoption), month
   effects the time trend, the others the deal mix.
2. For each adopted deal, predict the win probability it would have had without adoption; its residual (won minus
   prediction) is the deal's effect. Adopted deals of reps with no unadopted deal cannot be compared with
   themselves and are left out of the adjusted figure (`adjusted_deals` counts those kept).
3. The lift is the mean residual of a message's adopted deals -- the average effect of adoption on the adopted
   deals, in percentage points. Where deals are adopted for several messages at once, the residuals are split
   between messages by least squares on the adoption indicators (effects are taken to add up).
Unlike a regression with an adoption dummy, this stays unbiased when the effect differs between reps or grows over
time, and it never uses adopted deals as controls.

Interval: 95 % percentile interval over bootstrap replicates that resample reps with replacement, because deals
are clustered by rep. The model is linear and the rep effects are per rep, so each rep is summarised once by
sufficient statistics and every replicate is an exact refit done as a weighted sum plus a small solve.
The amount band is dropped when the CRM zeroes the amount of lost deals (it would leak the outcome); the period is
the calendar month, or the quarter when the data spans more than three years; rare segments and deal types beyond
the 11 commonest are pooled.

Filters: every function takes the same deal filters, bound as parameters of sql/marts/fct_closed_deals.sql and
fct_message_deals.sql: close dates (`as_of`, `date_from`, `date_to`), lists of `segments`, `teams`, `regions` and
`managers` (empty = all; several values = their union) and `rep_ids` (None = every rep; a list = only those reps'
deals, e.g. a manager's own team). A filter only decides which closed deals enter; the estimator is unchanged, so
a filtered estimate equals the estimate on a database holding only the filtered deals. Restricting to a team (or
region, manager, rep scope) therefore restricts BOTH the adopted deals and the control deals the adjusted model is
fitted on to those reps: the lift compares that team's adopted deals with that team's own other deals, never with
the rest of the company. The one-value keywords `segment`, `team`, `region` are kept for older callers (give either
`team` or `teams`, not both).

Evidence tiers (thresholds per arm: adopted and not-adopted in-scope deals, and the reps owning them):
- insufficient: no adjusted estimate, or fewer than 30 deals or 3 reps in an arm;
- directional: fewer than 100 deals or 10 reps in an arm, or the interval includes zero;
- moderate: at least 100 deals and 10 reps per arm and an interval that excludes zero;
- strong: at least 400 deals and 30 reps per arm, an interval at most 10 points wide, and an estimate at least
  1.5 half-widths away from zero (about p < 0.005), so a bound that barely clears zero is only moderate.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analytics.db import sql
from analytics.precompute import stored

DEFINITIONS = {
    "in_scope": "A closed deal is in scope of a message when its segment matches the message's target segment "
                "(no target = every deal) and it closed on or after the launch date.",
    "adopted": "A deal is adopted for a message when its owner passed that message's certification on or before "
               "the deal's close date.",
    "tagged": "A deal is tagged for a message when the CRM's message column names it (a second, explicit "
              "definition, shown separately).",
    "win_rate": "Win rate = won / (won + lost); open deals never count.",
}

FILTERS = ("as_of", "date_from", "date_to", "segments", "teams", "regions", "managers", "rep_ids")
SINGLE_FILTERS = {"segment": "segments", "team": "teams", "region": "regions"}   # one-value keywords, kept

MIN_DEALS = {"directional": 30, "moderate": 100, "strong": 400}
MIN_REPS = {"directional": 3, "moderate": 10, "strong": 30}
STRONG_MAX_WIDTH_PP = 10.0
STRONG_MIN_HALF_WIDTHS = 1.5
EVIDENCE_TIERS = ("strong", "moderate", "directional", "insufficient")

DEAL_COLUMNS = ("deal_key", "rep_id", "close_date", "segment", "amount", "deal_type", "is_won")
PAIR_COLUMNS = ("deal_key", "message_id", "is_adopted", "is_tagged")
# The same pairs with the message's position in $message_ids instead of its id (-1: not listed).
PAIR_INDEX_COLUMNS = ("deal_key", "list_position($message_ids::VARCHAR[], message_id) - 1 AS message_ix",
                      "is_adopted", "is_tagged")
METHOD = "imputation DiD: rep + month fixed effects, deal mix; rep bootstrap"
N_BOOT = 400
AMOUNT_BANDS = 5
MAX_LEVELS = 12              # segments or deal types beyond the 11 commonest are pooled (keeps the model small)
ABILITY_PRIOR_DEALS = 10
STRATA_BY = ("segment", "ability_band")


def win_rate(won, lost):
    """Won / (won + lost): the one win-rate definition; NaN where nothing closed."""
    won = np.asarray(won, dtype=float)
    total = won + np.asarray(lost, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.where(total > 0, won / np.where(total > 0, total, 1), np.nan)
    return float(out) if out.ndim == 0 else out


def evidence_tier(deals_adopted: int, deals_not_adopted: int, reps_adopted: int, reps_not_adopted: int,
                  lift_pp: float | None, ci_low_pp: float | None, ci_high_pp: float | None) -> str:
    """How much the data can tell about a message's lift, by the thresholds in the module docstring."""
    deals = min(deals_adopted, deals_not_adopted)
    reps = min(reps_adopted, reps_not_adopted)
    if _missing(lift_pp) or deals < MIN_DEALS["directional"] or reps < MIN_REPS["directional"]:
        return "insufficient"
    if _missing(ci_low_pp) or _missing(ci_high_pp) or ci_low_pp <= 0 <= ci_high_pp:
        return "directional"
    if deals < MIN_DEALS["moderate"] or reps < MIN_REPS["moderate"]:
        return "directional"
    width = ci_high_pp - ci_low_pp
    if (deals >= MIN_DEALS["strong"] and reps >= MIN_REPS["strong"] and width <= STRONG_MAX_WIDTH_PP
            and abs(lift_pp) >= STRONG_MIN_HALF_WIDTHS * width / 2):
        return "strong"
    return "moderate"


def describe_lift(row: Mapping) -> str:
    """One plain-language sentence for a message's adjusted lift."""
    lift, low, high = row.get("adjusted_lift_pp"), row.get("ci_low_pp"), row.get("ci_high_pp")
    evidence = row.get("evidence") or "insufficient"
    if _missing(lift) or evidence == "insufficient":
        return (f"Not enough data to compare certified and other reps' deals yet "
                f"({_int(row.get('closed_deals_adopted'))} adopted and "
                f"{_int(row.get('closed_deals_not_adopted'))} other closed deals in scope).")
    size = abs(round(lift))
    if size == 0:
        head = "Deals by certified reps won about as often as comparable deals"
    else:
        word = "point" if size == 1 else "points"
        head = f"Deals by certified reps won {size} {word} {'more' if lift > 0 else 'less'} often than comparable deals"
    if _missing(low) or _missing(high):
        return f"{head} (no interval: too few reps to resample). Evidence: {evidence}."
    text = f"{head} (likely between {_signed(low)} and {_signed(high)})"
    if low <= 0 <= high:
        text += "; we can't rule out no effect"
    return f"{text}. Evidence: {evidence}."


def deal_window(con, as_of: date | None = None, date_from: date | None = None, date_to: date | None = None) -> dict:
    """The close-date filters as the closed deals they admit (equal windows keep the same deals)."""
    # None when a bound excludes no deal, else the nearest close date inside it ("none": it admits no deal)
    as_of, date_from, date_to = (None if d is None else pd.Timestamp(d).date() for d in (as_of, date_from, date_to))
    upper = min((d for d in (as_of, date_to) if d is not None), default=None)
    b = con.execute(sql("marts/fct_date_bounds.sql"), {"upper": upper, "lower": date_from}).fetchone()
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
    params = _params(a["as_of"], a["date_from"], a["date_to"], a["segment"], a["team"], a["region"],
                     segments=a["segments"], teams=a["teams"], regions=a["regions"], managers=a["managers"],
                     rep_ids=a["rep_ids"])
    window = deal_window(con, params.pop("as_of"), params.pop("date_from"), params.pop("date_to"))
    return {**params, **window, "n_boot": a["n_boot"], "seed": a["seed"]}


@stored(key=_lift_key)
def message_lift(con, as_of: date | None = None, date_from: date | None = None, date_to: date | None = None,
                 segment: str | None = None, team: str | None = None, region: str | None = None,
                 n_boot: int = N_BOOT, seed: int = 0, *, segments: Sequence[str] = (), teams: Sequence[str] = (),
                 regions: Sequence[str] = (), managers: Sequence[str] = (),
                 rep_ids: Sequence[str] | None = None) -> pd.DataFrame:
    """One row per message: naive and adjusted lift (pp), 95 % rep-bootstrap intervals and evidence tier, on the
    closed deals the filters keep (a team filter restricts both adopted and control deals to the team's reps)."""
    params = _params(as_of, date_from, date_to, segment, team, region, segments=segments, teams=teams,
                     regions=regions, managers=managers, rep_ids=rep_ids)
    messages = _messages(con)
    ids = list(messages["message_id"])
    # both sorted by deal_key, so pairs find their deal by one sweep of binary searches; message positions from SQL
    deals = _fetch(con, "marts/fct_closed_deals.sql", DEAL_COLUMNS, params, order="deal_key")
    pairs = _fetch(con, "marts/fct_message_deals.sql", PAIR_INDEX_COLUMNS,
                   {**params, "message_id": None, "message_ids": ids}, "is_in_scope", order="deal_key, message_ix")
    est = estimate_lift(deals, pairs, ids, n_boot=n_boot, seed=seed)

    out = messages.copy()
    for col in ("closed_deals_adopted", "closed_deals_not_adopted", "reps_adopted", "reps_not_adopted",
                "won_adopted", "won_not_adopted", "adjusted_deals", "closed_deals_tagged", "won_tagged"):
        out[col] = est[col]
    out["win_rate_adopted"] = win_rate(est["won_adopted"], est["closed_deals_adopted"] - est["won_adopted"])
    out["win_rate_not_adopted"] = win_rate(est["won_not_adopted"],
                                           est["closed_deals_not_adopted"] - est["won_not_adopted"])
    out["naive_lift_pp"] = 100 * (out["win_rate_adopted"] - out["win_rate_not_adopted"])
    out["naive_ci_low_pp"], out["naive_ci_high_pp"] = est["naive_ci"][:, 0], est["naive_ci"][:, 1]
    out["adjusted_lift_pp"] = est["lift_pp"]
    out["ci_low_pp"], out["ci_high_pp"] = est["ci"][:, 0], est["ci"][:, 1]
    untagged = est["closed_deals_in_scope"] - est["closed_deals_tagged"]
    out["win_rate_tagged"] = win_rate(est["won_tagged"], est["closed_deals_tagged"] - est["won_tagged"])
    out["win_rate_untagged"] = win_rate(est["won_in_scope"] - est["won_tagged"],
                                        untagged - (est["won_in_scope"] - est["won_tagged"]))
    out["tagged_lift_pp"] = 100 * (out["win_rate_tagged"] - out["win_rate_untagged"])
    out["evidence"] = [
        evidence_tier(r.closed_deals_adopted, r.closed_deals_not_adopted, r.reps_adopted, r.reps_not_adopted,
                      r.adjusted_lift_pp, r.ci_low_pp, r.ci_high_pp)
        for r in out.itertuples()]
    out["method"] = est["method"]
    out["summary"] = [describe_lift(r) for r in out.to_dict("records")]
    return out


def estimate_lift(deals: Mapping, pairs: Mapping, message_ids: list[str], n_boot: int = N_BOOT,
                  seed: int = 0) -> dict:
    """Naive and adjusted lift per message from closed deals (DEAL_COLUMNS) and in-scope pairs (PAIR_COLUMNS)."""
    M = len(message_ids)
    keys = _column(deals, "deal_key")
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
    rep, R = _codes(_column(deals, "rep_id"))
    y = _column(deals, "is_won").astype(float)
    if "message_ix" in pairs:           # positions in message_ids found by SQL (no Python string per pair)
        msg_ix = np.nan_to_num(_column(pairs, "message_ix").astype(float), nan=-1.0).astype(np.int64)
    else:
        msg_ix = pd.Index(message_ids).get_indexer(_column(pairs, "message_id"))
    keep = (deal_ix >= 0) & (msg_ix >= 0)
    deal_ix, msg_ix = deal_ix[keep], msg_ix[keep]
    is_adopted = _column(pairs, "is_adopted").astype(bool)[keep]
    is_tagged = _column(pairs, "is_tagged").astype(bool)[keep]
    pair_rep, pair_y = rep[deal_ix], y[deal_ix]

    def per_rep(mask, weights=None):
        idx = pair_rep[mask] * M + msg_ix[mask]
        w = None if weights is None else weights[mask]
        return np.bincount(idx, weights=w, minlength=R * M).reshape(R, M)

    na, wa = per_rep(is_adopted), per_rep(is_adopted, pair_y)
    nn, wn = per_rep(~is_adopted), per_rep(~is_adopted, pair_y)
    nt, wt = per_rep(is_tagged), per_rep(is_tagged, pair_y)
    out = {
        "closed_deals_adopted": na.sum(0).astype(int), "closed_deals_not_adopted": nn.sum(0).astype(int),
        "won_adopted": wa.sum(0).astype(int), "won_not_adopted": wn.sum(0).astype(int),
        "reps_adopted": (na > 0).sum(0), "reps_not_adopted": (nn > 0).sum(0),
        "closed_deals_in_scope": (na + nn).sum(0).astype(int), "won_in_scope": (wa + wn).sum(0).astype(int),
        "closed_deals_tagged": nt.sum(0).astype(int), "won_tagged": wt.sum(0).astype(int),
    }
    adopted = sp.csr_matrix((np.ones(is_adopted.sum()), (deal_ix[is_adopted], msg_ix[is_adopted])), shape=(n, M))
    adopted.data[:] = 1.0  # a deal x message pair counts once
    X, method = _design(deals)
    stats = _rep_statistics(rep, R, X, y, adopted)
    out["adjusted_deals"] = stats["N"].sum(0).astype(int)

    weights = _bootstrap_weights(R, n_boot, seed)
    tau = _solve(stats, weights)
    with np.errstate(invalid="ignore", divide="ignore"):
        naive = (weights @ wa) / (weights @ na) - (weights @ wn) / (weights @ nn)
    out["lift_pp"] = 100 * tau[0]
    out["ci"] = _percentile_interval(100 * tau[1:])
    out["naive_ci"] = _percentile_interval(100 * naive[1:])
    out["method"] = method
    return out


def _design(deals: Mapping) -> tuple[sp.csr_matrix, str]:
    """One-hot design (first level of each factor dropped): period, segment, amount band, deal type."""
    close = pd.DatetimeIndex(pd.to_datetime(_column(deals, "close_date")))
    months = np.asarray(close.year * 12 + close.month, dtype=np.int64)
    method = METHOD
    if len(months) and months.max() - months.min() >= 36:
        months = months // 3
        method = method.replace("month", "quarter")
    factors = [months - (months.min() if len(months) else 0)]
    factors.append(_codes(_column(deals, "segment"), MAX_LEVELS)[0])
    band, leaks = _amount_band(deals)
    if leaks:
        method += "; amount left out (zero on lost deals)"
    else:
        factors.append(band)
    factors.append(_codes(_column(deals, "deal_type"), MAX_LEVELS)[0])
    return _one_hot(factors, len(months)), method


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


def _one_hot(factors: list[np.ndarray], n: int) -> sp.csr_matrix:
    rows, cols, offset = [], [], 0
    for codes in factors:
        levels = int(codes.max()) + 1 if n else 0
        hit = codes > 0
        rows.append(np.flatnonzero(hit))
        cols.append(offset + codes[hit] - 1)
        offset += max(levels - 1, 0)
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, offset))


def _rep_statistics(rep: np.ndarray, R: int, X: sp.csr_matrix, y: np.ndarray, adopted: sp.csr_matrix) -> dict:
    """Per-rep sufficient statistics of the imputation estimator (see the module docstring)."""
    n, K = X.shape
    M = adopted.shape[1]
    treated = np.asarray(adopted.sum(1)).ravel() > 0
    c = ~treated
    rc, Xc, yc = rep[c], X[c], y[c]
    n0 = np.bincount(rc, minlength=R).astype(float)
    sy0 = np.bincount(rc, weights=yc, minlength=R)
    rep_of = sp.csr_matrix((np.ones(len(rc)), (np.arange(len(rc)), rc)), shape=(len(rc), R))
    sx0 = np.asarray((rep_of.T @ Xc).todense())                                      # R x K
    # rows of Xc spread into rep blocks, so one sparse product gives every rep's X'X and X'y
    Xb = _spread(Xc, rc, K, R)
    G = np.asarray((Xb.T @ Xc).todense()).reshape(R, K, K)
    xy = (Xb.T @ yc).reshape(R, K)
    safe = np.where(n0 > 0, n0, 1.0)
    xbar, ybar = sx0 / safe[:, None], sy0 / safe
    A = G - sx0[:, :, None] * xbar[:, None, :]
    b = xy - sx0 * ybar[:, None]

    t = np.flatnonzero(treated & (n0[rep] > 0))                                        # imputable adopted deals
    Dt = adopted[t].tocoo()
    i, m = Dt.row, Dt.col
    r = rep[t][i]
    e = y[t][i] - ybar[r]
    s = np.bincount(r * M + m, weights=e, minlength=R * M).reshape(R, M)
    N = np.bincount(r * M + m, minlength=R * M).reshape(R, M).astype(float)
    pair_to_block = sp.csr_matrix((np.ones(len(i)), (np.arange(len(i)), r * M + m)), shape=(len(i), R * M))
    T = np.asarray((pair_to_block.T @ X[t][i]).todense()).reshape(R, M, K) - N[:, :, None] * xbar[:, None, :]
    deal_to_block = sp.csr_matrix((np.ones(len(i)), (i, r * M + m)), shape=(len(t), R * M))
    Q = np.asarray((deal_to_block.T @ adopted[t]).todense()).reshape(R, M, M)
    return {"A": A, "b": b, "s": s, "N": N, "T": T, "Q": Q}


def _spread(X: sp.csr_matrix, rep: np.ndarray, K: int, R: int) -> sp.csr_matrix:
    coo = X.tocoo()
    return sp.csr_matrix((coo.data, (coo.row, rep[coo.row] * K + coo.col)), shape=(X.shape[0], R * K))


def _bootstrap_weights(R: int, n_boot: int, seed: int) -> np.ndarray:
    """Row 0 is the estimate itself (every rep once); the others resample reps with replacement."""
    rng = np.random.default_rng(seed)
    draws = rng.multinomial(R, np.full(R, 1.0 / R), size=n_boot).astype(float) if R and n_boot else \
        np.zeros((0, R))
    return np.vstack([np.ones((1, R)), draws])


def _solve(stats: dict, W: np.ndarray) -> np.ndarray:
    """Lift (fraction) per replicate x message: weighted rep sums, then the two least-squares solves."""
    R, K = stats["b"].shape
    M = stats["s"].shape[1]
    B = W.shape[0]
    A = (W @ stats["A"].reshape(R, K * K)).reshape(B, K, K)
    b = W @ stats["b"]
    scale = np.maximum(np.einsum("bkk->b", A) / max(K, 1), 1.0)
    A += 1e-9 * scale[:, None, None] * np.eye(K)
    delta = np.linalg.solve(A, b[:, :, None])[:, :, 0] if K else np.zeros((B, 0))
    T = (W @ stats["T"].reshape(R, M * K)).reshape(B, M, K)
    S = W @ stats["s"] - np.einsum("bmk,bk->bm", T, delta)
    Q = (W @ stats["Q"].reshape(R, M * M)).reshape(B, M, M) + 1e-9 * np.eye(M)
    N = W @ stats["N"]
    tau = np.linalg.solve(Q, S[:, :, None])[:, :, 0] if M else np.zeros((B, 0))
    tau[N <= 0] = np.nan
    return tau


def _percentile_interval(draws: np.ndarray) -> np.ndarray:
    """2.5 and 97.5 percentiles per column; NaN when under 90 % of replicates could estimate it."""
    out = np.full((draws.shape[1], 2), np.nan)
    for j in range(draws.shape[1]):
        d = draws[:, j][np.isfinite(draws[:, j])]
        if len(draws) and len(d) >= 0.9 * len(draws) and len(d) >= 20:
            out[j] = np.percentile(d, [2.5, 97.5])
    return out


def win_rate_over_time(con, message_id: str | None = None, freq: str = "month", **filters) -> pd.DataFrame:
    """Win rate per message and period of the deals in its segment: before launch, adopted, not adopted (filters as
    message_lift's)."""
    if freq not in ("week", "month", "quarter"):
        raise ValueError(f"freq must be week, month or quarter, not {freq!r}")
    rows = _message_deal_counts(con, message_id, filters, ("message_id", "close_date", "is_in_scope", "is_adopted"))
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
    query = (f"SELECT m.message_id, d.rep_id, count(*) AS pre_deals, sum(d.is_won::INTEGER)::BIGINT AS pre_won "
             f"FROM ({sql('marts/fct_closed_deals.sql')}) AS d "
             f"JOIN ({sql('marts/dim_messages.sql')}) AS m ON d.close_date < m.launch_date "
             "WHERE $message_id IS NULL OR m.message_id = $message_id "
             "GROUP BY m.message_id, d.rep_id ORDER BY m.message_id, d.rep_id")
    counts = pd.DataFrame(con.execute(query, params).fetchnumpy())     # deals before launch, counted in SQL
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
    counts = _message_deal_counts(con, message_id, filters, ("message_id", "rep_id", "segment", "is_adopted"),
                                  where="is_in_scope")
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


def _fetch(con, model: str, columns: tuple[str, ...], params: dict, where: str | None = None,
           order: str | None = None) -> dict:
    """Only the named columns of a mart, as numpy arrays (DuckDB prunes the rest; no DataFrame conversion)."""
    query = (f"SELECT {', '.join(columns)} FROM ({sql(model)}) AS model" + (f" WHERE {where}" if where else "")
             + (f" ORDER BY {order}" if order else ""))
    return con.execute(query, params).fetchnumpy()


def _column(frame: Mapping, name: str) -> np.ndarray:
    """A column as a plain numpy array; SQL NULLs (masked values) become NaN or None."""
    values = frame[name]
    if isinstance(values, np.ma.MaskedArray):
        if values.dtype.kind in "fiu":
            return values.astype(float).filled(np.nan)
        if values.dtype.kind == "b":
            return values.filled(False)
        return values.astype(object).filled(None)
    if isinstance(values, pd.Series):
        if values.dtype.kind in "fiu" or pd.api.types.is_float_dtype(values):
            return values.to_numpy(dtype=float, na_value=np.nan)
        return values.to_numpy()
    return np.asarray(values)


def _message_deal_counts(con, message_id: str | None, filters: dict, keys: tuple[str, ...],
                         where: str | None = None) -> pd.DataFrame:
    """fct_message_deals counted in SQL by the key columns: closed deals (`deals`) and won deals (`won`) per key."""
    params = {**_filter_params(filters), "message_id": message_id}
    query = (f"SELECT {', '.join(keys)}, count(*) AS deals, sum(is_won::INTEGER)::BIGINT AS won "
             f"FROM ({sql('marts/fct_message_deals.sql')}) AS model" + (f" WHERE {where}" if where else "")
             + f" GROUP BY {', '.join(keys)}")
    return pd.DataFrame(con.execute(query, params).fetchnumpy())


def _message_deals(con, message_id: str | None, filters: dict, columns: tuple[str, ...],
                   where: str | None = None) -> pd.DataFrame:
    params = {**_filter_params(filters), "message_id": message_id}
    return pd.DataFrame(_fetch(con, "marts/fct_message_deals.sql", columns, params, where))


def _messages(con) -> pd.DataFrame:
    return con.execute(sql("marts/dim_messages.sql")).df()[["message_id", "message_name", "launch_date",
                                                             "target_segment"]]


def _terciles(values: pd.Series) -> pd.Series:
    if values.empty:
        return pd.Series([], index=values.index, dtype=object)
    ranks = values.rank(method="first", pct=True)
    return pd.Series(np.select([ranks <= 1 / 3, ranks <= 2 / 3], ["low", "middle"], "high"), index=values.index)


def _filter_params(filters: Mapping) -> dict:
    """Bound parameters from keyword filters (FILTERS or the one-value SINGLE_FILTERS); unknown names are refused."""
    unknown = set(filters) - set(FILTERS) - set(SINGLE_FILTERS)
    if unknown:
        raise TypeError(f"unknown filters: {sorted(unknown)}")
    return _params(**filters)


def _params(as_of=None, date_from=None, date_to=None, segment=None, team=None, region=None, *, segments=(),
            teams=(), regions=(), managers=(), rep_ids=None) -> dict:
    """The deal marts' bound parameters: dates, value lists (empty = all) and rep_ids (None = every rep)."""
    return {"as_of": as_of, "date_from": date_from, "date_to": date_to,
            "segments": _one_or_many("segment", segment, segments), "teams": _one_or_many("team", team, teams),
            "regions": _one_or_many("region", region, regions), "managers": _listed(managers),
            "rep_ids": None if rep_ids is None else _listed(rep_ids)}


def _one_or_many(name: str, one: str | None, many) -> list:
    many = _listed(many)
    if one is None:
        return many
    if many:
        raise TypeError(f"give {name} or {name}s, not both")
    return [one]


def _listed(values) -> list:
    """A list of filter values: None is none, one string is one value."""
    if values is None:
        return []
    return [values] if isinstance(values, str) else list(values)


def _codes(values, max_levels: int | None = None) -> tuple[np.ndarray, int]:
    """Integer codes (missing is a level); beyond max_levels the rarest levels share one code."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False, sort=True)
    codes = codes.astype(np.int64)
    if max_levels is not None and len(uniques) > max_levels:
        rank = np.argsort(np.argsort(-np.bincount(codes), kind="stable"), kind="stable")
        codes = np.minimum(rank[codes], max_levels - 1)
        return codes, max_levels
    return codes, len(uniques)


def _missing(x) -> bool:
    return x is None or (isinstance(x, float) and not np.isfinite(x)) or (x is not None and pd.isna(x))


def _signed(x: float) -> str:
    """Whole points, or one decimal where rounding would hide the sign ("-0.3")."""
    text = f"{x:+.0f}" if abs(x) >= 0.5 else f"{x:+.1f}"
    return "0" if text in ("+0.0", "-0.0") else text


def _int(x) -> int:
    return 0 if _missing(x) else int(x)
