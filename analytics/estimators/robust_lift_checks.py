"""The checks beside a message's imputation estimate: event study (leads and lags), pre-trend test, placebo launch.

Leads are coefficients of "k months before this rep certifies" dummies added to the control model (Borusyak,
Jaravel & Spiess's pre-trend test: under parallel trends they are zero); lags are the estimate by months since
certification. The placebo launch moves the launch PLACEBO_MONTHS earlier and asks whether the later certifiers'
in-scope deals in between already differed. Both use the unit's own model and clusters.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from analytics.estimators import fixed_effects as fe

LAG_STARTS = (0, 1, 2, 3, 4, 6, 9, 12)        # bins of months since certification: 0, 1, 2, 3, 4-5, 6-8, 9-11, 12+
N_LAGS = len(LAG_STARTS)
MIN_LEVEL_CONTROLS = 10                       # control deals a fixed-effect level needs before a deal is imputed
PLACEBO_MONTHS = 6
LEAD_ENDS = (1, 2, 3, 4, 7)             # -1, -2, -3, -4..-6, -7..-12 months before certification
LEAD_LABELS = ("-1", "-2", "-3", "-6..-4", "-12..-7")
LAG_LABELS = ("0", "1", "2", "3", "4-5", "6-8", "9-11", "12+")
DAYS_PER_MONTH = 30.44


def event_and_checks(d: dict, k: int, states: np.ndarray, X: sp.csr_matrix, control: np.ndarray,
                     fit: fe.ControlFit, clusters: np.ndarray, G: int, weights: np.ndarray, out: dict) -> dict:
    """Event study rows, pre-trend p-value, placebo (lift, low, high in pp) and the together share of a group."""
    unit = d["unit_members"][k] if "unit_members" in d else None
    cols = list(unit) if unit is not None else None
    members = cols if cols is not None else [k]
    rep = d["rep"]
    cert = d["cert"][rep][:, members]
    certifies = np.isfinite(cert).any(1)
    before_launch = (d["row"][:, members] & ~d["in_scope"][:, members]).any(1)
    candidates = control & before_launch & certifies
    first = month_index(np.nanmin(np.where(np.isfinite(cert), cert, np.inf), axis=1))
    ahead = np.maximum(first - d["month"], 1)
    lead = np.where(candidates & (ahead < 13), np.searchsorted(LEAD_ENDS, ahead, side="right"), 0)
    counts = np.bincount(lead[control], minlength=len(LEAD_ENDS) + 1)
    lead = np.where(counts[lead] >= MIN_LEVEL_CONTROLS, lead, 0)
    coef, lead_ci, p, kept = _added_dummies(d, X, control, lead, len(LEAD_ENDS), clusters, G, weights, fit,
                                            joint=True)

    launch = np.nanmin(d["launch"][members]) if np.isfinite(d["launch"][members]).any() else np.nan
    first_day = d["day"].min() if d["n"] else 0
    months = min(PLACEBO_MONTHS, (launch - first_day) / DAYS_PER_MONTH / 2) if np.isfinite(launch) else 0
    early = candidates & (d["day"] >= launch - months * DAYS_PER_MONTH)
    placebo = early.astype(np.int64) if early.sum() >= MIN_LEVEL_CONTROLS else np.zeros(d["n"], np.int64)
    pc, pci, _, _ = _added_dummies(d, X, control, placebo, 1, clusters, G, weights, fit)

    rows = [{"kind": "lead", "months": LEAD_LABELS[b], "start": -LEAD_ENDS[b], "lift_pp": coef[b],
             "ci_low_pp": lead_ci[b, 0], "ci_high_pp": lead_ci[b, 1], "deals": int(counts[b + 1])}
            for b in range(len(LEAD_ENDS)) if kept[b]][::-1]
    rows += [{"kind": "lag", "months": LAG_LABELS[b], "start": LAG_STARTS[b], "lift_pp": out["tau"][4 + b],
              "ci_low_pp": out["ci"][4 + b][0], "ci_high_pp": out["ci"][4 + b][1], "deals": int(out["counts"][4 + b])}
             for b in range(N_LAGS) if out["counts"][4 + b] > 0]
    together = np.nan
    if len(members) > 1:
        rep_cert = d["cert"][:, members]
        any_cert = np.isfinite(rep_cert).any(1)
        span = np.nanmax(rep_cert, axis=1, initial=-np.inf) - np.nanmin(rep_cert, axis=1, initial=np.inf)
        together = float((np.isfinite(rep_cert).all(1) & (span <= 7))[any_cert].mean()) if any_cert.any() else np.nan
    return {"event_study": rows, "pretrend_p": p, "placebo": (pc[0], pci[0, 0], pci[0, 1]), "together": together}


def month_index(days: np.ndarray) -> np.ndarray:
    """Calendar month index (year * 12 + month) of day numbers; inf (never) stays a large number."""
    finite = np.isfinite(days)
    out = np.full(len(days), 10 ** 9, dtype=np.int64)
    when = pd.DatetimeIndex(days[finite].astype("datetime64[D]"))
    out[finite] = when.year * 12 + when.month
    return out


def _added_dummies(d: dict, X: sp.csr_matrix, control: np.ndarray, codes: np.ndarray, levels: int,
                   clusters: np.ndarray, G: int, weights: np.ndarray, base: fe.ControlFit, joint: bool = False):
    """Coefficients (pp) and intervals of dummies for codes 1..levels added to the control model; joint Wald p."""
    coef, ci, kept = np.full(levels, np.nan), np.full((levels, 2), np.nan), np.zeros(levels, dtype=bool)
    present = np.bincount(codes[control], minlength=levels + 1)[1:] > 0
    if not present.any():
        return coef, ci, np.nan, kept
    compact = np.zeros(levels + 1, dtype=np.int64)
    compact[1 + np.flatnonzero(present)] = 1 + np.arange(present.sum())
    kept_codes = np.where(control, compact[codes], 0)              # one column per level that has control deals
    Z, _ = fe.one_hot([kept_codes], d["n"])
    K = X.shape[1]
    fit = fe.add_columns(base, Z)
    columns = K + np.arange(Z.shape[1])
    present = present.copy()
    contrast = np.eye(len(fit.beta))[:, columns]
    if joint and len(columns) > 1:
        # Leads often cover every control deal of the certifying reps, whose own effects then absorb their common
        # level: only differences from the farthest lead are identified, so the test asks for a flat pre-trend.
        contrast = contrast[:, :-1] - contrast[:, -1:]
        present[np.flatnonzero(present)[-1]] = False
    good = fe.estimable(fit, contrast)
    contrast = contrast[:, good]
    present[np.flatnonzero(present)[~good]] = False
    if not present.any():
        return coef, ci, np.nan, kept
    psi = fe.contrast_influence(fit, contrast)
    psi_g = np.zeros((G, psi.shape[1]))
    np.add.at(psi_g, clusters, psi)
    b = contrast.T @ fit.beta
    _, interval = fe.studentized_interval(b, psi_g, weights)
    kept[present] = True
    coef[present], ci[present] = 100 * b, 100 * interval
    p = fe.wald_p_value(b, psi_g) if joint else np.nan
    return coef, ci, p, kept
