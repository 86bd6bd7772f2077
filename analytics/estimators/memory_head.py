"""The memory model's head: FSRS-6 retrievability plus what an LMS knows, to a probability with a guessing floor.

forecast = f + (1 - f) * sigmoid(a + b * logit R + x.beta + u_message + v_rep), with b > 0 so the forecast falls as
time passes; x is the pair's last score (and whether it failed), its lapses and attempts, its FSRS difficulty and the
rep's earlier pass rate; u and v are ridge-shrunk (a message or rep seen a few times stays near the typical curve).
Fitted by binomial deviance: on pass/fail that is log loss, on scores in [0, 1] it is the deviance of a proportion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit, logit

from analytics.estimators import fsrs_law

FEATURES = ("last_fail", "last_score", "log_lapses", "log_attempts", "rep_skill", "difficulty")
FLOOR_MAX = 0.6                 # the guessing floor is fitted within [0, FLOOR_MAX]
RIDGE_EFFECTS = 5.0             # per-message and per-rep effects: prior worth this many attempts at zero
RIDGE_FEATURES = 1.0
R_CLIP = 1e-4


@dataclass
class Head:
    """Fitted head coefficients; identity() is plain FSRS retrievability."""

    a: float = 0.0
    b: float = 1.0
    beta: np.ndarray = field(default_factory=lambda: np.zeros(len(FEATURES)))
    floor: float = 0.0
    pass_mark: float = 0.8
    messages: tuple = ()
    reps: tuple = ()
    u: np.ndarray = field(default_factory=lambda: np.zeros(0))
    v: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @classmethod
    def identity(cls) -> Head:
        return cls()

    def message_effect(self, messages) -> np.ndarray:
        """Each message's shrunk effect on the linear predictor (0 for messages the head has not seen)."""
        return _effect(self.u, _codes(messages, self.messages))

    def _offset(self, x: dict, states: pd.DataFrame) -> np.ndarray:
        """Everything in the linear predictor but b * logit R."""
        if not self.messages and not self.reps and not np.any(self.beta) and self.a == 0.0:
            return np.zeros(len(states))
        X = feature_matrix(x, self.pass_mark)
        return (self.a + X @ self.beta + _effect(self.u, _codes(states["message_id"], self.messages))
                + _effect(self.v, _codes(states["rep_id"], self.reps)))

    def predict(self, R, x: dict, states: pd.DataFrame) -> np.ndarray:
        lr = logit(np.clip(np.asarray(R, dtype=float), R_CLIP, 1 - R_CLIP))
        return self.floor + (1.0 - self.floor) * expit(self._offset(x, states) + self.b * lr)

    def retrievability_at(self, level: float, x: dict, states: pd.DataFrame) -> np.ndarray:
        """The retrievability at which the forecast equals `level` (NaN: never that low; 1: already below)."""
        q = (level - self.floor) / (1.0 - self.floor)
        n = len(states)
        if q <= 0.0:
            return np.full(n, np.nan)
        if q >= 1.0:
            return np.ones(n)
        r_star = expit((logit(q) - self._offset(x, states)) / self.b)
        return np.where(r_star >= 1 - R_CLIP, 1.0, r_star)


def feature_matrix(x: dict, pass_mark: float) -> np.ndarray:
    """The head's x columns (FEATURES) from raw per-row or per-state values."""
    last = np.nan_to_num(np.asarray(x["last_score"], dtype=float), nan=pass_mark)
    return np.column_stack([
        (last < pass_mark).astype(float),
        last - pass_mark,
        np.log1p(np.asarray(x["n_prior_fail"], dtype=float)),
        np.log1p(np.asarray(x["n_prior"], dtype=float)),
        np.asarray(x["rep_skill"], dtype=float),
        np.nan_to_num(np.asarray(x["difficulty"], dtype=float), nan=5.0) - 5.0,
    ])


def head_design(a, walked: dict, row_features: pd.DataFrame, rows: np.ndarray, w, stability_cap: float,
                pass_mark: float) -> dict:
    """Training design of later-day attempts: logit R (capped stability), x, message and rep codes."""
    S = np.minimum(walked["S"][rows], stability_cap)
    R = fsrs_law.retrievability(walked["elapsed"][rows], S, w)
    x = {"n_prior": row_features["n_prior"].to_numpy()[rows],
         "n_prior_fail": row_features["n_prior_fail"].to_numpy()[rows],
         "last_score": row_features["last_score"].to_numpy()[rows],
         "rep_skill": row_features["rep_skill"].to_numpy()[rows], "difficulty": walked["D"][rows]}
    message = a.frame["message_id"].to_numpy(dtype=object)[rows]
    rep = a.frame["rep_id"].to_numpy(dtype=object)[rows]
    m_codes, m_levels = pd.factorize(message)
    r_codes, r_levels = pd.factorize(rep)
    return {"lr": logit(np.clip(R, R_CLIP, 1 - R_CLIP)), "X": feature_matrix(x, pass_mark),
            "message": m_codes.astype(np.int64), "messages": tuple(m_levels),
            "rep": r_codes.astype(np.int64), "reps": tuple(r_levels), "pass_mark": pass_mark}


def fit_head(design: dict, y: np.ndarray) -> Head:
    """Binomial deviance fit (L-BFGS, exact gradient) of a, b, beta, floor and the shrunk effects."""
    lr, X, msg, rep = design["lr"], design["X"], design["message"], design["rep"]
    n, k = X.shape
    M, Rn = len(design["messages"]), len(design["reps"])
    y = np.asarray(y, dtype=float)

    def unpack(theta):
        return theta[0], theta[1], theta[2:2 + k], theta[2 + k], theta[3 + k:3 + k + M], theta[3 + k + M:]

    def objective(theta):
        a, b, beta, phi, u, v = unpack(theta)
        z = a + b * lr + X @ beta + u[msg] + v[rep]
        q = expit(z)
        s = expit(phi)
        f = FLOOR_MAX * s
        p = np.clip(f + (1 - f) * q, 1e-9, 1 - 1e-9)
        loss = -np.sum(y * np.log(p) + (1 - y) * np.log(1 - p))
        dp = (p - y) / (p * (1 - p))
        gz = dp * (1 - f) * q * (1 - q)
        grad = np.concatenate([[gz.sum(), gz @ lr], X.T @ gz, [np.sum(dp * (1 - q)) * FLOOR_MAX * s * (1 - s)],
                               np.bincount(msg, gz, M), np.bincount(rep, gz, Rn)])
        loss += 0.5 * (RIDGE_FEATURES * beta @ beta + RIDGE_EFFECTS * (u @ u + v @ v))
        grad[2:2 + k] += RIDGE_FEATURES * beta
        grad[3 + k:] += RIDGE_EFFECTS * theta[3 + k:]
        return loss / n, grad / n

    theta0 = np.zeros(3 + k + M + Rn)
    theta0[1] = 1.0
    theta0[2 + k] = logit(0.02 / FLOOR_MAX)
    bounds = [(None, None), (0.05, 5.0)] + [(None, None)] * (1 + k + M + Rn)
    result = minimize(objective, theta0, jac=True, method="L-BFGS-B", bounds=bounds,
                      options={"maxiter": 300, "ftol": 1e-8})
    a, b, beta, phi, u, v = unpack(result.x)
    return Head(float(a), float(b), beta.copy(), float(FLOOR_MAX * expit(phi)), design["pass_mark"],
                design["messages"], design["reps"], u.copy(), v.copy())


def _codes(values, levels: tuple) -> np.ndarray:
    """Position of each value among the levels (-1: unseen)."""
    if not levels:
        return np.full(len(values), -1, dtype=np.int64)
    return pd.Index(list(levels), dtype=object).get_indexer(pd.Series(values).astype(object).to_numpy())


def _effect(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    if len(values) == 0:
        return np.zeros(len(codes))
    return np.where(codes >= 0, values[np.maximum(codes, 0)], 0.0)
