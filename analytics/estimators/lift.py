"""Imputation difference-in-differences lift per message (Borusyak, Jaravel & Spiess 2024), rep-bootstrapped.

Takes closed deals and in-scope deal x message pairs as frames (or numpy column mappings) and never a connection.
The method, in short (analytics.views.lift documents the definitions of scope and adoption):
1. Fit won ~ rep + month + segment + amount band + deal type (all fixed effects) by least squares on every closed
   deal adopted for no message: deals before launch, before their owner certified, outside the message's segment,
   and of reps who never certified. Rep effects absorb rep ability, month effects the time trend.
2. For each adopted deal, predict the win probability it would have had without adoption; its residual (won minus
   prediction) is the deal's effect. Adopted deals of reps with no unadopted deal cannot be compared with
   themselves and are left out (`adjusted_deals` counts those kept).
3. The lift is the mean residual of a message's adopted deals, in percentage points; deals adopted for several
   messages at once split their residual by least squares on the adoption indicators (effects add up).
Interval: 95 % percentile interval over bootstrap replicates that resample reps with replacement (deals cluster by
rep). The model is linear and rep effects are per rep, so each rep is summarised once by sufficient statistics and
every replicate is an exact refit done as a weighted sum plus a small solve. The amount band is dropped when the CRM
zeroes the amount of lost deals (it would leak the outcome); the period is the calendar month, or the quarter when
the data spans more than three years; rare segments and deal types beyond the 11 commonest are pooled.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import scipy.sparse as sp

DEAL_COLUMNS = ("deal_key", "rep_id", "close_date", "segment", "amount", "deal_type", "is_won")
PAIR_COLUMNS = ("deal_key", "message_id", "is_adopted", "is_tagged")
METHOD = "imputation DiD: rep + month fixed effects, deal mix; rep bootstrap"
N_BOOT = 400
AMOUNT_BANDS = 5
MAX_LEVELS = 12              # segments or deal types beyond the 11 commonest are pooled (keeps the model small)
# Per message: closed deals and wins by arm, the reps owning them, and the adopted deals the adjusted figure keeps.
COUNT_COLUMNS = ("closed_deals_adopted", "closed_deals_not_adopted", "won_adopted", "won_not_adopted",
                 "reps_adopted", "reps_not_adopted", "closed_deals_in_scope", "won_in_scope", "closed_deals_tagged",
                 "won_tagged", "adjusted_deals")


class ImputationLift:
    """Naive and adjusted lift per message; fit() learns counts_, effects_ (pp), draws_, ci_, naive_ci_, method_."""

    name = "imputation_lift"

    def __init__(self, n_boot: int = N_BOOT, seed: int = 0):
        self.n_boot = n_boot
        self.seed = seed

    def fit(self, deals: Mapping, pairs: Mapping, message_ids: list[str]) -> ImputationLift:
        """Closed deals (DEAL_COLUMNS) and in-scope pairs (PAIR_COLUMNS, or message_ix positions in message_ids)."""
        est = _estimate(deals, pairs, list(message_ids), self.n_boot, self.seed)
        self.message_ids_ = list(message_ids)
        self.counts_ = {c: est[c] for c in COUNT_COLUMNS}
        self.effects_ = est["lift_pp"]
        self.draws_ = est["draws_pp"]
        self.naive_draws_ = est["naive_draws_pp"]
        self.ci_ = est["ci"]
        self.naive_ci_ = est["naive_ci"]
        self.method_ = est["method"]
        return self

    def tidy(self) -> pd.DataFrame:
        """One row per message: counts, adjusted lift and its interval, the naive interval (pp), the method."""
        out = pd.DataFrame({"message_id": self.message_ids_, **self.counts_})
        out["lift_pp"] = self.effects_
        out["ci_low_pp"], out["ci_high_pp"] = self.ci_[:, 0], self.ci_[:, 1]
        out["naive_ci_low_pp"], out["naive_ci_high_pp"] = self.naive_ci_[:, 0], self.naive_ci_[:, 1]
        out["method"] = self.method_
        return out


def _estimate(deals: Mapping, pairs: Mapping, message_ids: list[str], n_boot: int, seed: int) -> dict:
    """Counts, lift (pp), replicate draws and intervals per message (see ImputationLift)."""
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
    out["draws_pp"], out["naive_draws_pp"] = 100 * tau[1:], 100 * naive[1:]
    out["ci"] = _percentile_interval(out["draws_pp"])
    out["naive_ci"] = _percentile_interval(out["naive_draws_pp"])
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


def _codes(values, max_levels: int | None = None) -> tuple[np.ndarray, int]:
    """Integer codes (missing is a level); beyond max_levels the rarest levels share one code."""
    codes, uniques = pd.factorize(values, use_na_sentinel=False, sort=True)
    codes = codes.astype(np.int64)
    if max_levels is not None and len(uniques) > max_levels:
        rank = np.argsort(np.argsort(-np.bincount(codes), kind="stable"), kind="stable")
        codes = np.minimum(rank[codes], max_levels - 1)
        return codes, max_levels
    return codes, len(uniques)

