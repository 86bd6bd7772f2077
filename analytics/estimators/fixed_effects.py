"""Least squares with rep fixed effects on control deals, the imputation residuals of treated deals, and each rep's
influence on any average of those residuals; the studentized rep bootstrap built on those influence values.

Why influence values instead of refits: an imputation estimate is linear in the outcomes (Borusyak, Jaravel &
Spiess 2024), so a rep's contribution to it is exact up to the sampling of the design. A replicate that resamples
reps is then a weighted sum of per-rep values (a matrix product), which keeps thousands of reps and hundreds of
fixed effects (team x period) within a second, where exact refits would need a K x K matrix per rep.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy import stats
from scipy.sparse import csgraph

CONFIDENCE = 0.95
MIN_REPLICATES = 20
FEW_CLUSTERS = 30            # below this many clusters the interval is CR1 with t(G - 1) quantiles
# Small-sample correction of the rep-clustered variance: "cr2" rescales each rep's influence so that its square is
# unbiased for the rep's share of the variance when deals are independent with equal variance (leverage_scale);
# "hc1" scales the control residuals by sqrt(n / (n - p)) (the rule before; kept to measure against); anything else:
# no correction (tests read the raw influence values that way).
SMALL_SAMPLE = "cr2"


def one_hot(factors: list[np.ndarray], n: int) -> tuple[sp.csr_matrix, list[tuple[int, int]]]:
    """Sparse one-hot design, code 0 of each factor dropped (the reference); returns (X, (factor, level) per column)."""
    rows, cols, names, offset = [], [], [], 0
    for f, codes in enumerate(factors):
        levels = int(codes.max()) + 1 if n else 0
        hit = codes > 0
        rows.append(np.flatnonzero(hit))
        cols.append(offset + codes[hit] - 1)
        names += [(f, level) for level in range(1, levels)]
        offset += max(levels - 1, 0)
    rows = np.concatenate(rows) if rows else np.zeros(0, int)
    cols = np.concatenate(cols) if cols else np.zeros(0, int)
    return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, offset)), names


@dataclass
class ControlFit:
    """Rep fixed-effects least squares on control deals: coefficients, pseudo-inverse and per-rep scores."""

    beta: np.ndarray          # K
    a_inv: np.ndarray         # K x K symmetric generalized inverse of the within-rep Gram matrix (see _ginv)
    a: np.ndarray             # K x K within-rep Gram matrix (estimability checks)
    rep_mean_y: np.ndarray    # R: mean outcome of each rep's control deals (NaN: none)
    rep_mean_x: sp.csr_matrix  # R x K: mean design row of each rep's control deals
    n0: np.ndarray            # R: control deals per rep
    scores: sp.csr_matrix     # R x K: each rep's X'residual on its control deals
    parts: dict               # the control rows and per-rep sums, so columns can be added without a new Gram matrix


def fit_controls(X: sp.csr_matrix, y: np.ndarray, rep: np.ndarray, R: int, control: np.ndarray,
                 lead: int = 0) -> ControlFit:
    """Within-rep least squares of y on X over the control deals; `lead`: how many leading columns form one nested
    factor (team x period: block-diagonal once rep effects are absorbed), inverted block by block (see _ginv)."""
    Xc, yc, rc = X[control], y[control], rep[control]
    nc = len(yc)
    n0 = np.bincount(rc, minlength=R).astype(float)
    safe = np.where(n0 > 0, n0, 1.0)
    rep_of = sp.csr_matrix((np.ones(nc), (rc, np.arange(nc))), shape=(R, nc))
    sx0 = (rep_of @ Xc).tocsr()                                       # R x K, sparse: a rep sees few periods
    sy0 = np.bincount(rc, weights=yc, minlength=R)
    scaled = (sp.diags(1.0 / safe) @ sx0).tocsr()
    a = np.asarray((Xc.T @ Xc).todense()) - np.asarray((sx0.T @ scaled).todense())
    b = np.asarray(Xc.T @ yc).ravel() - np.asarray(sx0.T @ (sy0 / safe)).ravel()
    parts = {"Xc": Xc, "yc": yc, "rc": rc, "rep_of": rep_of, "sx0": sx0, "sy0": sy0, "safe": safe, "b": b,
             "control": control}
    return _solve(a, _ginv(a, lead), b, Xc, scaled, n0, sy0, safe, yc, rc, rep_of, parts)


def add_columns(fit: ControlFit, Z: sp.csr_matrix) -> ControlFit:
    """The same control fit with columns Z added (only the new blocks of the Gram matrix are computed)."""
    p = fit.parts
    Zc = Z[p["control"]].tocsr()
    sz0 = (p["rep_of"] @ Zc).tocsr()
    scaled_z = (sp.diags(1.0 / p["safe"]) @ sz0).tocsr()
    a_xz = np.asarray((p["Xc"].T @ Zc).todense()) - np.asarray((p["sx0"].T @ scaled_z).todense())
    a_zz = np.asarray((Zc.T @ Zc).todense()) - np.asarray((sz0.T @ scaled_z).todense())
    b_z = np.asarray(Zc.T @ p["yc"]).ravel() - np.asarray(sz0.T @ (p["sy0"] / p["safe"])).ravel()
    a = np.block([[fit.a, a_xz], [a_xz.T, a_zz]])
    b = np.concatenate([p["b"], b_z])
    XZ = sp.hstack([p["Xc"], Zc]).tocsr()
    scaled = sp.hstack([fit.rep_mean_x, scaled_z]).tocsr()
    a_inv = _bordered(fit.a_inv, a_xz, a_zz)
    parts = {"Xc": XZ, "rc": p["rc"], "rep_of": p["rep_of"]}          # enough for leverage_scale, not for adding
    return _solve(a, a_inv, b, XZ, scaled, fit.n0, p["sy0"], p["safe"], p["yc"], p["rc"], p["rep_of"], parts)


def _ginv(a: np.ndarray, lead: int = 0) -> np.ndarray:
    """A symmetric generalized inverse of a within-rep Gram matrix (a @ g @ a = a), cheap when it is block-diagonal.

    The first `lead` columns are split into the connected blocks of their sparsity (a team's periods: a rep belongs
    to one team), each pseudo-inverted alone; the other columns enter through the Schur complement (_bordered).
    Any generalized inverse gives the same estimable contrasts, influence values and rank as the pseudo-inverse:
    they differ only in unidentified directions, which the control deals' rows and scores never see.
    """
    if not a.size:
        return np.zeros((0, 0))
    if lead <= 0 or lead >= len(a):
        return _pinv(a)
    head = a[:lead, :lead]
    n_blocks, label = csgraph.connected_components(sp.csr_matrix(np.abs(head) > 0), directed=False)
    inv = np.zeros_like(head)
    for block in range(n_blocks):
        cols = np.flatnonzero(label == block)
        inv[np.ix_(cols, cols)] = _pinv(head[np.ix_(cols, cols)])
    return _bordered(inv, a[:lead, lead:], a[lead:, lead:])


def _bordered(a_inv: np.ndarray, b: np.ndarray, d: np.ndarray) -> np.ndarray:
    """Generalized inverse of [[A, B], [B', D]] from one of A (B lies in A's range: both are Gram blocks of the same
    within-rep rows): [[G + F S+ F', -F S+], [-S+ F', S+]] with F = G B and S = D - B' F, its Schur complement."""
    f = a_inv @ b
    s_inv = _pinv(d - b.T @ f)
    fs = f @ s_inv
    return np.block([[a_inv + fs @ f.T, -fs], [-fs.T, s_inv]])


def _pinv(a: np.ndarray) -> np.ndarray:
    return np.linalg.pinv(a, rcond=1e-10, hermitian=True) if a.size else np.zeros((0, 0))


def _solve(a, a_inv, b, Xc, scaled, n0, sy0, safe, yc, rc, rep_of, parts) -> ControlFit:
    beta = a_inv @ b
    mean_y = np.where(n0 > 0, sy0 / safe, np.nan)
    mean_xb = np.asarray(scaled @ beta).ravel()
    resid = yc - mean_y[rc] - (Xc @ beta - mean_xb[rc])
    # fitted residuals are smaller than the errors by the parameters fitted (rep effects + identified columns): the
    # HC1 factor sqrt(n / (n - p)) puts that back on average (cr2: leverage_scale does it rep by rep instead)
    fitted = float(np.sum(a_inv * a)) + float((n0 > 0).sum()) if a.size else float((n0 > 0).sum())
    if SMALL_SAMPLE == "hc1" and len(yc) > fitted + 1:
        resid = resid * np.sqrt(len(yc) / max(len(yc) - fitted, 1.0))
    scores = (rep_of @ sp.diags(resid) @ Xc).tocsr()
    return ControlFit(beta, a_inv, a, mean_y, scaled, n0, scores, parts)


def imputation_residuals(fit: ControlFit, X: sp.csr_matrix, y: np.ndarray, rep: np.ndarray) -> np.ndarray:
    """Outcome minus the untreated prediction (own rep's control mean + the fixed effects) for the given deals."""
    return y - fit.rep_mean_y[rep] - (X @ fit.beta - np.asarray(fit.rep_mean_x @ fit.beta).ravel()[rep])


def mean_influence(fit: ControlFit, X: sp.csr_matrix, rep: np.ndarray, e: np.ndarray, member: sp.csr_matrix,
                   R: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Estimates (means of e over each column's deals), counts, per-rep influence (R x J) and estimability.

    member: deals x estimands 0/1. A rep's influence is its own deals' centred residuals plus, through the shared
    fixed effects, its control deals' scores; they sum to zero over reps, and their spread is the sampling error.
    """
    counts = np.asarray(member.sum(0)).ravel()
    safe = np.where(counts > 0, counts, 1.0)
    g = (member @ sp.diags(1.0 / safe)).tocsc()                       # deal weights per estimand
    tau = np.asarray(g.T @ e).ravel()
    rep_of = sp.csr_matrix((np.ones(len(rep)), (rep, np.arange(len(rep)))), shape=(R, len(rep)))
    rep_g = rep_of @ g                                                 # R x J: each rep's share of the weights
    psi = np.asarray((rep_of @ g.multiply(e[:, None]).tocsc()).todense()) - np.asarray(rep_g.todense()) * tau
    h = np.asarray((g.T @ X).todense()) - np.asarray((rep_g.T @ fit.rep_mean_x).todense())   # J x K
    u = fit.a_inv @ h.T                                                # K x J
    estimable = np.linalg.norm(fit.a @ u - h.T, axis=0) <= 1e-6 * (1.0 + np.linalg.norm(h, axis=1))
    psi -= np.asarray(fit.scores @ u)
    psi *= leverage_scale(fit, u, (X, rep, g, rep_of))
    tau[counts == 0] = np.nan
    return tau, counts, psi, estimable


def contrast_influence(fit: ControlFit, contrast: np.ndarray) -> np.ndarray:
    """Per-rep influence (R x L) of the contrasts (K x L) of the fitted coefficients."""
    u = fit.a_inv @ contrast
    return np.asarray(fit.scores @ u) * leverage_scale(fit, u)


def leverage_scale(fit: ControlFit, u: np.ndarray, treated: tuple | None = None) -> np.ndarray:
    """Per-rep factors (R x J) for influence values, CR2-type (Bell & McCaffrey 2002): each rep's squared influence
    becomes unbiased for its share of the variance when deals are independent with equal variance.

    An estimate w'y puts weight w_i = -G_r / n_r - x~_i'u on a control deal of rep r (G_r: its treated weight, x~:
    the design row less the rep's control mean, u: `u`) and g_i on a treated one. A rep's influence is w_r'e_r with
    fitted residuals e: on its control deals they are shrunk by their leverage (I - H_rr), whose hat block is
    x~_r A^- x~_r' there (the rep mean drops out of w'e), and on its treated deals they also carry the prediction's
    error x~_t'(b - beta). So E[psi_r^2] / s^2 = s_r - lev_r + tlev_r against the true s_r = g'g + G_r^2 / n_r +
    |x~_r u|^2, with lev_r = v_r'A^- v_r (v_r = x~_r'x~_r u) and tlev_r = t_r'A^- t_r (t_r = x~_t'g); the factor is
    sqrt(s_r / (s_r - lev_r + tlev_r)). `treated`: (X of the treated deals, their reps, their weights g (n_t x J),
    reps x treated deals 0/1); none for a coefficient contrast (only control deals)."""
    R, J = len(fit.n0), u.shape[1]
    p = fit.parts
    if SMALL_SAMPLE != "cr2" or not J or p is None or not u.shape[0]:
        return np.ones((R, J))
    Xc, rc, rep_of = p["Xc"], p["rc"], p["rep_of"]
    z = np.asarray(Xc @ u) - np.asarray(fit.rep_mean_x @ u)[rc]           # x~_i'u per control deal
    s = np.asarray(rep_of @ z ** 2)
    if "spread" not in p:                                                 # once per fit: its contrasts share it
        p["spread"] = _spread(Xc, rc, R)
    drop = _rep_quadratic(p["spread"], z, R, fit.a_inv)                    # v_r = x~_r'x~_r u (x~ sums to 0)
    add = np.zeros((R, J))
    if treated is not None:
        Xt, rep_t, g, rep_of_t = treated
        g = np.asarray(g.todense()) if sp.issparse(g) else np.asarray(g)
        G = np.asarray(rep_of_t @ g)
        s += np.asarray(rep_of_t @ g ** 2) + G ** 2 / np.where(fit.n0 > 0, fit.n0, 1.0)[:, None]
        add = _rep_quadratic(_spread(Xt, rep_t, R), g, R, fit.a_inv, (G, fit.rep_mean_x))
    q = s - drop + add
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((q > 1e-12 * (1 + s)) & (s > 0), np.sqrt(s / q), 1.0)


def _spread(X: sp.csr_matrix, rep: np.ndarray, R: int) -> sp.csr_matrix:
    """X' with its columns spread into rep blocks ((R * K) x n): one product gives every rep's X_r' w_r."""
    coo = X.tocoo()
    K = X.shape[1]
    return sp.csr_matrix((coo.data, (rep[coo.row] * K + coo.col, coo.row)), shape=(R * K, X.shape[0]))


def _rep_quadratic(spread: sp.csr_matrix, weight: np.ndarray, R: int, a_inv: np.ndarray,
                   mean: tuple | None = None) -> np.ndarray:
    """v_rj'A^- v_rj per rep r and column j, v_rj = X_r' weight_rj (less G_rj times the rep's mean row, `mean` =
    (G, rep means)); the columns go in chunks that keep the dense rep x column blocks near 20 million numbers."""
    K, J = a_inv.shape[0], weight.shape[1]
    out = np.zeros((R, J))
    if not K or not J or not spread.shape[1]:
        return out
    means = np.asarray(mean[1].todense()) if mean is not None else None
    step = int(max(1, min(J, 2e7 // (R * K))))
    for j0 in range(0, J, step):
        js = np.arange(j0, min(J, j0 + step))
        v = np.asarray(spread @ weight[:, js]).reshape(R, K, len(js))
        if means is not None:
            v -= mean[0][:, None, js] * means[:, :, None]
        v = sp.csr_matrix(v.transpose(2, 0, 1).reshape(len(js) * R, K))
        out[:, js] = _row_forms(v, a_inv).reshape(len(js), R).T
    return out


def _row_forms(v: sp.csr_matrix, a_inv: np.ndarray) -> np.ndarray:
    """v_i'A v_i for every row of sparse v: each row reads only the block of A on its own columns (a rep sees its
    team's periods and a few levels), in batches of rows padded to the longest."""
    out = np.zeros(v.shape[0])
    counts = np.diff(v.indptr)
    if not len(counts) or not counts.max():
        return out
    width = int(counts.max())
    if 8 * width >= a_inv.shape[0]:                 # small models: one sparse-dense product is cheaper
        return np.asarray(v.multiply(v @ a_inv).sum(1)).ravel()
    step = max(1, int(5e6 // (width * width)))
    for r0 in range(0, v.shape[0], step):
        r1 = min(v.shape[0], r0 + step)
        fill = np.arange(width)[None, :] < counts[r0:r1, None]
        idx, val = np.zeros((r1 - r0, width), np.int64), np.zeros((r1 - r0, width))
        idx[fill] = v.indices[v.indptr[r0]:v.indptr[r1]]
        val[fill] = v.data[v.indptr[r0]:v.indptr[r1]]
        out[r0:r1] = np.einsum("ri,rij,rj->r", val, a_inv[idx[:, :, None], idx[:, None, :]], val)
    return out


def deal_weights(fit: ControlFit, X: sp.csr_matrix, rep: np.ndarray, treated: np.ndarray, g: np.ndarray,
                 n: int) -> np.ndarray:
    """Exact weight of every deal in the estimate sum(g * imputation residual) over the `treated` deals (positions):
    the estimate is linear in the outcomes, so its variance is sum(w^2 var(y)) (checks the reported one)."""
    R = len(fit.n0)
    w = np.zeros(n)
    w[treated] = g
    G = np.bincount(rep[treated], weights=g, minlength=R)
    h = np.asarray(X[treated].T @ g).ravel() - np.asarray(fit.rep_mean_x.T @ G).ravel()
    u = fit.a_inv @ h
    control = np.flatnonzero(fit.parts["control"])
    rc = rep[control]
    w[control] = -G[rc] / np.where(fit.n0 > 0, fit.n0, 1.0)[rc] - (np.asarray(X[control] @ u).ravel()
                                                                    - np.asarray(fit.rep_mean_x @ u).ravel()[rc])
    return w


def estimable(fit: ControlFit, contrast: np.ndarray) -> np.ndarray:
    """Which columns of `contrast` (K x L) the control deals identify (they lie in the Gram matrix's range)."""
    back = fit.a @ (fit.a_inv @ contrast)
    return np.linalg.norm(back - contrast, axis=0) <= 1e-6 * (1.0 + np.linalg.norm(contrast, axis=0))


def bootstrap_weights(G: int, n_boot: int, seed: int) -> np.ndarray:
    """Cluster counts of n_boot replicates that resample G clusters with replacement."""
    rng = np.random.default_rng(seed)
    if G == 0 or n_boot <= 0:
        return np.zeros((0, G))
    return rng.multinomial(G, np.full(G, 1.0 / G), size=n_boot).astype(float)


def studentized_interval(tau: np.ndarray, psi: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Standard errors and bootstrap-t intervals from cluster influence values (G x J) and replicate weights.

    Each replicate's deviation is its weighted sum of influence values and its standard error the weighted spread of
    them, so t = deviation / se carries the skew of a few large clusters into the interval (Hall's bootstrap-t).
    Fewer than FEW_CLUSTERS clusters: CR1 standard error and t(G - 1) quantiles instead.
    """
    G, J = psi.shape
    ci = np.full((J, 2), np.nan)
    active = (np.abs(psi) > 0).sum(0)
    c = G / (G - 1) if G > 1 else np.nan
    se = np.sqrt(c * (psi ** 2).sum(0)) if G > 1 else np.full(J, np.nan)
    ok = np.isfinite(tau) & (active >= 3) & (se > 0)
    if G < FEW_CLUSTERS:
        if len(weights) >= MIN_REPLICATES and G > 2:
            q = stats.t.ppf(0.5 + CONFIDENCE / 2, G - 1)
            ci[ok] = np.column_stack([tau - q * se, tau + q * se])[ok]
        return se, ci
    if len(weights) < MIN_REPLICATES:
        return se, ci
    dev = weights @ psi
    var = c * (weights @ psi ** 2 - dev ** 2 / G)
    with np.errstate(invalid="ignore", divide="ignore"):
        t = dev / np.sqrt(var)
    for j in np.flatnonzero(ok):
        d = t[:, j][np.isfinite(t[:, j])]
        if len(d) >= 0.9 * len(t):
            lo, hi = np.quantile(d, [(1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2])
            ci[j] = tau[j] - hi * se[j], tau[j] - lo * se[j]
    return se, ci


def wald_p_value(coef: np.ndarray, psi: np.ndarray) -> float:
    """p-value of the joint test coef = 0 with the cluster-robust covariance from influence values (G x L)."""
    G, L = psi.shape
    if L == 0 or G < 3:
        return np.nan
    cov = G / (G - 1) * psi.T @ psi
    stat = float(coef @ np.linalg.pinv(cov, hermitian=True) @ coef)
    df = max(1, np.linalg.matrix_rank(cov))
    return float(stats.chi2.sf(stat, df))
