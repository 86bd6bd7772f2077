"""Half-life regression of forgetting (Settles & Meeder, 2016) with a guessing floor and an initial recall.

The expected score `t` days after the last practice is

    p = floor + (1 - floor) * recall * 2 ** (-t / half_life)

where log2(half_life) and logit(recall) are linear in features built only from strictly earlier attempts
(whether the rep has passed yet, prior successes and failures, last score, spacing of the last two practices,
the rep's prior mean score over all messages), plus per-message effects (some messages are harder) and a
per-rep half-life effect, both ridge-shrunk towards the average. It is fitted by least squares on the scores of
repeat attempts (scipy L-BFGS with an exact gradient). Input: a practice history frame (one row per graded attempt
with its prior-attempt features, analytics.views.practice.practice_history); never a connection.
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit

from analytics.settings import PASS_MARK, RETENTION_TARGET

MIN_REPEAT_ATTEMPTS = 20
# How many attempts at the org mean a rep's own history starts from (keeps one lucky attempt from counting fully).
SKILL_PRIOR_ATTEMPTS = 5.0
# Ridge penalty on message and rep effects, in units of squared score (keeps rare ones near the average).
RIDGE = 0.5
# log2(half-life in days) is kept within [2^-6, 2^16] days so the exponentials stay finite.
LOG2_HALF_LIFE_RANGE = (-6.0, 16.0)
LN2 = math.log(2.0)
# Above twice this many repeat attempts, the two starting points are compared on a sample of this size.
WARM_START_ROWS = 20_000

HALF_LIFE_FEATURES = ("has_passed", "n_prior_successes", "n_prior_failures", "last_score", "rep_skill",
                      "log2_spacing")
RECALL_FEATURES = ("has_passed", "n_prior_successes", "last_score", "rep_skill")
PREDICT_COLUMNS = ["rep_id", "message_id", "on_date", "expected_score", "half_life_days", "last_practiced",
                   "n_attempts", "reinforce_by"]


class NotEnoughHistory(ValueError):
    """Too few repeat attempts to learn how fast anything is forgotten."""


@dataclass(eq=False)
class HalfLifeRegression:
    """The forgetting law: `pass_mark` is its parameter; fit() sets the named parameters and what rebuilds features."""

    pass_mark: float = PASS_MARK
    params_: pd.Series | None = None
    mean_score_: float = math.nan
    messages_: tuple[str, ...] = ()
    reps_: tuple[str, ...] = ()
    n_attempts_: int = 0
    n_repeat_attempts_: int = 0
    rmse_in_sample_: float = math.nan
    name = "half_life_regression"

    def fit(self, history: pd.DataFrame) -> HalfLifeRegression:
        """Learn the law from a practice history (one row per graded attempt with its prior-attempt features)."""
        fitted = _fit_history(history, self.pass_mark)
        for f in ("params_", "mean_score_", "messages_", "reps_", "n_attempts_", "n_repeat_attempts_",
                  "rmse_in_sample_"):
            setattr(self, f, getattr(fitted, f))
        self.__dict__.pop("fingerprint", None)
        return self

    def tidy(self) -> pd.DataFrame:
        """One row per fitted parameter: its name and value (floor as a share, the rest on their link scale)."""
        return pd.DataFrame({"term": self.params_.index.astype(str), "estimate": self.params_.to_numpy(dtype=float)})

    @functools.cached_property
    def fingerprint(self) -> str:
        """sha256 of every fitted value and name: equal for equal models, cheap to compare and hash (caches)."""
        h = hashlib.sha256()
        h.update(self.params_.to_numpy(dtype=float).tobytes())
        h.update("\n".join(map(str, self.params_.index)).encode())
        h.update(repr((self.pass_mark, self.mean_score_, self.messages_, self.reps_, self.n_attempts_,
                       self.n_repeat_attempts_, self.rmse_in_sample_)).encode())
        return h.hexdigest()

    @property
    def floor(self) -> float:
        """Expected score once everything is forgotten (guessing level)."""
        return float(self.params_["floor"])

    def summary(self) -> dict:
        """The fitted law in words and days, for an average rep and message right after a first pass."""
        p = self.params_
        first_pass = {"has_passed": 1.0, "n_prior_successes": 1.0}
        log2_half_life = p["log2_half_life[intercept]"] + sum(
            p[f"log2_half_life[{name}]"] * value for name, value in first_pass.items())
        logit_recall = p["logit_recall[intercept]"] + sum(
            p[f"logit_recall[{name}]"] * value for name, value in first_pass.items())
        return {
            "floor": self.floor,
            "half_life_after_first_pass_days": float(2.0 ** log2_half_life),
            "half_life_multiplier_per_success": float(2.0 ** p["log2_half_life[n_prior_successes]"]),
            "half_life_multiplier_per_failure": float(2.0 ** p["log2_half_life[n_prior_failures]"]),
            "score_right_after_first_pass": float(self.floor + (1 - self.floor) * _sigmoid(logit_recall)),
            "n_attempts": self.n_attempts_,
            "n_repeat_attempts": self.n_repeat_attempts_,
            "rmse_in_sample": self.rmse_in_sample_,
        }

    def message_half_life_multiplier(self) -> pd.Series:
        """How much longer (>1) or shorter (<1) each message is remembered than the average one."""
        return pd.Series({m: 2.0 ** self.params_[f"log2_half_life[message={m}]"] for m in self.messages_},
                         name="half_life_multiplier")

    def rep_half_life_multiplier(self) -> pd.Series:
        """How much longer (>1) or shorter (<1) each rep remembers than their history alone suggests."""
        return pd.Series({r: 2.0 ** self.params_[f"log2_half_life[rep={r}]"] for r in self.reps_},
                         name="half_life_multiplier")

    def half_life_days(self, features: pd.DataFrame) -> np.ndarray:
        """Half-life in days for rows holding the features of a next attempt (history rows or pair_state)."""
        _, _, s, _ = _forward(self._theta(), _design(features, self))
        return 2.0 ** s

    def expected_score(self, features: pd.DataFrame, gap_days=None) -> np.ndarray:
        """Expected score for rows with features, `gap_days` after their last practice (default: their own gap)."""
        p, _, _, _ = _forward(self._theta(), _design(features, self, gap_days))
        return p

    def predict(self, pairs_state: pd.DataFrame, on_dates, target: float = RETENTION_TARGET) -> pd.DataFrame:
        """Expected score, half-life and reinforce-by date of each pair in `pairs_state` on each date."""
        days = [pd.Timestamp(d).normalize() for d in on_dates]
        if not days:
            return pd.DataFrame(columns=PREDICT_COLUMNS)
        stacked = pd.concat([pairs_state] * len(days), ignore_index=True) if len(days) > 1 else pairs_state
        return self.predict_rows(stacked, np.repeat(np.array(days, dtype="datetime64[ns]"), len(pairs_state)), target)

    def predict_rows(self, states: pd.DataFrame, on_days, target: float = RETENTION_TARGET) -> pd.DataFrame:
        """predict() with a date per row: each row of `states` (a pair's state) scored on its own day."""
        last_day = pd.to_datetime(states["last_practiced_at"]).dt.normalize().reset_index(drop=True)
        day = pd.Series(pd.DatetimeIndex(np.asarray(on_days, dtype="datetime64[ns]")).normalize())
        gap = (day - last_day.astype("datetime64[ns]")).dt.days.clip(lower=0).to_numpy(dtype=float)
        # one design serves the score on the day, the half-life and the days until below target
        p, f, s, c = _forward(self._theta(), _design(states, self, gap))
        start = f + (1.0 - f) * c
        with np.errstate(divide="ignore", invalid="ignore"):
            until = (2.0 ** s) * np.log2((start - f) / (target - f))
        until = np.where(target <= f, np.inf, np.where(start < target, 0.0, until))
        # Dates are whole days: reinforce by the first day whose expected score is below target.
        finite = np.isfinite(until)
        offset = np.where(finite, np.floor(np.where(finite, until, 0.0)) + (until > 0), 0.0)
        reinforce_by = (last_day + pd.to_timedelta(offset, unit="D")).where(finite, pd.NaT)
        return pd.DataFrame({
            "rep_id": states["rep_id"].reset_index(drop=True),
            "message_id": states["message_id"].reset_index(drop=True),
            "on_date": day.to_numpy(),
            "expected_score": p,
            "half_life_days": 2.0 ** s,
            "last_practiced": last_day.to_numpy(),
            "n_attempts": states["n_prior_attempts"].to_numpy(),
            "reinforce_by": reinforce_by.to_numpy(),
        })

    def _theta(self) -> np.ndarray:
        values = self.params_.to_numpy(dtype=float).copy()
        values[0] = _logit(values[0])
        return values


def _fit_history(history: pd.DataFrame, pass_mark: float) -> HalfLifeRegression:
    repeat = history[history["n_prior_attempts"] >= 1]
    if len(repeat) < MIN_REPEAT_ATTEMPTS:
        raise NotEnoughHistory(
            f"{len(repeat)} repeat attempts; at least {MIN_REPEAT_ATTEMPTS} are needed to learn forgetting")
    messages = tuple(sorted(repeat["message_id"].astype(str).unique()))
    reps = tuple(sorted(repeat["rep_id"].astype(str).unique()))
    names = _param_names(messages, reps)
    shell = HalfLifeRegression(pass_mark, pd.Series(np.zeros(len(names)), index=names),
                               float(history["score"].mean()), messages, reps, len(history), len(repeat), math.nan)
    design = _design(repeat, shell)
    y = repeat["score"].to_numpy(dtype=float)
    penalized = np.array(["[message=" in name or "[rep=" in name for name in names])

    # Two starts, short and long half-lives, so a bad basin cannot pass for the answer; on big histories the
    # starts race on a sample and only the winner is refined on everything.
    typical_gap = max(float(np.median(design["gap"])), 1.0)
    sample = np.random.default_rng(0).choice(len(y), WARM_START_ROWS, replace=False) \
        if len(y) > 2 * WARM_START_ROWS else np.arange(len(y))
    best = None
    for start_half_life in (typical_gap / 2.0, typical_gap * 4.0):
        theta0 = np.zeros(len(names))
        theta0[names.index("floor")] = _logit(0.2)
        theta0[names.index("log2_half_life[intercept]")] = math.log2(start_half_life)
        theta0[names.index("logit_recall[intercept]")] = _logit(0.9)
        result = _minimize(theta0, _rows(design, sample), y[sample], penalized)
        if best is None or result.fun < best.fun:
            best = result
    if len(sample) < len(y):
        best = _minimize(best.x, design, y, penalized)
    p, _, _, _ = _forward(best.x, design)
    values = best.x.copy()
    values[0] = _sigmoid(best.x[0])
    return HalfLifeRegression(shell.pass_mark, pd.Series(values, index=names), shell.mean_score_, messages, reps,
                              len(history), len(repeat), float(np.sqrt(np.mean((p - y) ** 2))))


def _minimize(theta0, design, y, penalized):
    return minimize(_loss_and_gradient, theta0, args=(design, y, penalized), jac=True, method="L-BFGS-B",
                    options={"maxiter": 3000, "maxfun": 6000, "gtol": 1e-7, "ftol": 1e-9})


def _rows(design: dict, index: np.ndarray) -> dict:
    """The design restricted to some rows."""
    return {key: value[index] if isinstance(value, np.ndarray) else value for key, value in design.items()}


def _param_names(messages, reps) -> list[str]:
    """Parameter names in the order of the parameter vector (see _unpack)."""
    return (["floor", "log2_half_life[intercept]"]
            + [f"log2_half_life[{f}]" for f in HALF_LIFE_FEATURES]
            + ["logit_recall[intercept]"] + [f"logit_recall[{f}]" for f in RECALL_FEATURES]
            + [f"log2_half_life[message={m}]" for m in messages]
            + [f"logit_recall[message={m}]" for m in messages]
            + [f"log2_half_life[rep={r}]" for r in reps])


def _design(features: pd.DataFrame, model: HalfLifeRegression, gap_days=None) -> dict:
    """Feature matrices for the half-life and recall parts; unseen messages and reps get the average effect."""
    n = len(features)
    rep_n = features["rep_n_prior_attempts"].to_numpy(dtype=float)
    rep_sum = features["rep_score_sum_prior"].to_numpy(dtype=float)
    skill = (rep_sum + SKILL_PRIOR_ATTEMPTS * model.mean_score_) / (rep_n + SKILL_PRIOR_ATTEMPTS) - model.mean_score_
    spacing = np.nan_to_num(features["days_between_prior_practices"].to_numpy(dtype=float), nan=0.0)
    successes = features["n_prior_successes"].to_numpy(dtype=float)
    columns = {
        "has_passed": (successes > 0).astype(float),
        "n_prior_successes": successes,
        "n_prior_failures": features["n_prior_failures"].to_numpy(dtype=float),
        "last_score": features["last_score"].to_numpy(dtype=float) - model.pass_mark,
        "rep_skill": skill,
        "log2_spacing": np.log2(1.0 + np.maximum(spacing, 0.0)),
    }
    if gap_days is None:
        gap_days = features["days_since_last_practice"].to_numpy(dtype=float) \
            if "days_since_last_practice" in features else np.zeros(n)
    return {
        "half_life": np.column_stack([np.ones(n)] + [columns[f] for f in HALF_LIFE_FEATURES]),
        "recall": np.column_stack([np.ones(n)] + [columns[f] for f in RECALL_FEATURES]),
        "message": _codes(features["message_id"], model.messages_), "n_messages": len(model.messages_),
        "rep": _codes(features["rep_id"], model.reps_), "n_reps": len(model.reps_),
        "gap": np.maximum(np.asarray(gap_days, dtype=float), 0.0),
    }


def _codes(values: pd.Series, levels: tuple[str, ...]) -> np.ndarray:
    """Position of each value among the levels (-1: unseen or missing), looked up once per distinct value."""
    codes, uniques = pd.factorize(pd.Series(values).astype(str))
    found = pd.Index(list(levels), dtype=object).get_indexer(np.asarray(uniques, dtype=object))
    return np.where(codes >= 0, found[np.maximum(codes, 0)] if len(found) else -1, -1).astype(np.int64)


def _unpack(theta, design):
    """Split the parameter vector: floor, half-life weights, recall weights, message and rep effects."""
    sizes = [1, design["half_life"].shape[1], design["recall"].shape[1],
             design["n_messages"], design["n_messages"], design["n_reps"]]
    return np.split(theta, np.cumsum(sizes)[:-1])


def _effect(values: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """Per-row effect of a level (0 for levels the model has not seen)."""
    if len(values) == 0:
        return np.zeros(len(codes))
    return np.where(codes >= 0, values[np.maximum(codes, 0)], 0.0)


def _forward(theta, design, with_decay=False):
    """Expected score, floor, log2 half-life and initial recall for every row (and the decay factor)."""
    phi, wh, wc, mh, mc, rh = _unpack(theta, design)
    s = design["half_life"] @ wh + _effect(mh, design["message"]) + _effect(rh, design["rep"])
    s = np.clip(s, *LOG2_HALF_LIFE_RANGE)
    z = design["recall"] @ wc + _effect(mc, design["message"])
    f = float(_sigmoid(phi[0]))
    c = _sigmoid(z)
    decay = np.exp(-LN2 * design["gap"] * np.exp2(-s))
    p = f + (1.0 - f) * c * decay
    return (p, f, s, c, decay) if with_decay else (p, f, s, c)


def _loss_and_gradient(theta, design, y, penalized):
    """Half mean squared error plus ridge, and its exact gradient."""
    n = len(y)
    p, f, s, c, decay = _forward(theta, design, with_decay=True)
    r = (p - y) / n
    inside = (s > LOG2_HALF_LIFE_RANGE[0]) & (s < LOG2_HALF_LIFE_RANGE[1])
    g_s = r * (1.0 - f) * c * decay * LN2 * LN2 * design["gap"] * np.exp2(-s) * inside
    g_z = r * (1.0 - f) * decay * c * (1.0 - c)

    def by_level(codes, weights, size):
        known = codes >= 0
        return np.bincount(codes[known], weights=weights[known], minlength=size)

    grad = np.concatenate([
        [np.sum(r * f * (1.0 - f) * (1.0 - c * decay))],
        design["half_life"].T @ g_s,
        design["recall"].T @ g_z,
        by_level(design["message"], g_s, design["n_messages"]),
        by_level(design["message"], g_z, design["n_messages"]),
        by_level(design["rep"], g_s, design["n_reps"]),
    ])
    ridge = RIDGE / n
    loss = 0.5 * n * np.sum(r * r) + 0.5 * ridge * np.sum(theta[penalized] ** 2)
    grad[penalized] += ridge * theta[penalized]
    return loss, grad


def _sigmoid(x):
    return expit(np.asarray(x, dtype=float))


def _logit(p):
    return float(math.log(p / (1.0 - p)))


def default_cutoff(attempts: pd.DataFrame) -> pd.Timestamp:
    """The time by which 80 % of the graded attempts had happened (the time-ordered evaluation's split)."""
    times = pd.to_datetime(attempts["attempted_at"]).dropna().sort_values().to_numpy()
    return pd.Timestamp(times[int(0.8 * (len(times) - 1))])


def calibration_table(predictions: dict[str, np.ndarray], observed: np.ndarray, n_bins: int = 10) -> pd.DataFrame:
    """Mean predicted vs mean observed score per predicted-score bin, for each predictor."""
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    rows = []
    for name, pred in predictions.items():
        bins = np.clip(np.digitize(pred, edges[1:-1]), 0, n_bins - 1)
        for b in np.unique(bins):
            mask = bins == b
            rows.append({"predictor": name, "bin_low": edges[b], "bin_high": edges[b + 1],
                         "predicted_mean": float(pred[mask].mean()), "observed_mean": float(observed[mask].mean()),
                         "n": int(mask.sum())})
    return pd.DataFrame(rows, columns=["predictor", "bin_low", "bin_high", "predicted_mean", "observed_mean", "n"])


