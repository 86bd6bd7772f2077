"""Knowledge retention: how fast reps forget each message, what is left on a date, and who to reinforce.

The model is half-life regression (Settles & Meeder, 2016) with a guessing floor and an initial recall:
the expected score `t` days after the last practice is

    p = floor + (1 - floor) * recall * 2 ** (-t / half_life)

where log2(half_life) and logit(recall) are linear in features built only from strictly earlier attempts
(whether the rep has passed yet, prior successes and failures, last score, spacing of the last two practices,
the rep's prior mean score over all messages), plus per-message effects (some messages are harder) and a
per-rep half-life effect, both ridge-shrunk towards the average. It is fitted by least squares on the scores of
repeat attempts (scipy L-BFGS with an exact gradient). Dates are whole days: the state of a pair on a date
holds its attempts on or before that date.
"""

from __future__ import annotations

import functools
import hashlib
import math
from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import expit

from analytics.db import sql

PASS_MARK = 0.8
TARGET = 0.8
FOLK_SHARE_FORGOTTEN_30D = 0.9
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
# The forecast command's public columns (a stable interface), then the ids pages join on.
FORECAST_PUBLIC_COLUMNS = ["rep_email", "rep_name", "team", "message", "on_date", "expected_score", "half_life_days",
                           "last_practiced", "n_attempts", "reinforce_by"]
FORECAST_COLUMNS = FORECAST_PUBLIC_COLUMNS + ["rep_id", "message_id", "manager"]
PREDICT_COLUMNS = ["rep_id", "message_id", "on_date", "expected_score", "half_life_days", "last_practiced",
                   "n_attempts", "reinforce_by"]
STATE_COLUMNS = ["rep_id", "message_id", "n_prior_attempts", "n_prior_successes", "n_prior_failures", "last_score",
                 "last_practiced_at", "days_between_prior_practices", "rep_n_prior_attempts", "rep_score_sum_prior"]
STATE_SOURCE_COLUMNS = ("rep_id", "message_id", "attempted_at", "score", "is_success", "n_prior_attempts",
                        "n_prior_successes", "n_prior_failures", "days_since_last_practice")
GAP_EDGES = (0, 1, 3, 7, 14, 30, 60, 120, 240, math.inf)


class NotEnoughHistory(ValueError):
    """Too few repeat attempts to learn how fast anything is forgotten."""


# --------------------------------------------------------------------------------------------- inputs

def load_attempts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Graded quiz attempts of known reps and messages, oldest first."""
    return con.execute(sql("marts/fct_retention_attempts.sql")).df()


def practice_history(attempts: pd.DataFrame | duckdb.DuckDBPyConnection,
                     pass_mark: float = PASS_MARK) -> pd.DataFrame:
    """Each graded attempt with its features from strictly earlier attempts (sql/marts/fct_practice_history.sql)."""
    query = sql("marts/fct_practice_history.sql")
    if isinstance(attempts, duckdb.DuckDBPyConnection):
        return attempts.execute(query, {"pass_mark": pass_mark}).df()
    local = duckdb.connect()
    try:
        local.register("quiz_attempts", _attempt_frame(attempts))
        return local.execute(query, {"pass_mark": pass_mark}).df()
    finally:
        local.close()


def _state_history(con: duckdb.DuckDBPyConnection, pass_mark: float = PASS_MARK) -> pd.DataFrame:
    """The practice history's columns that pair states read, in its order (fewer columns: a faster fetch)."""
    query = (f"SELECT {', '.join(STATE_SOURCE_COLUMNS)} FROM ({sql('marts/fct_practice_history.sql')}) AS history "
             "ORDER BY attempted_at, attempt_id")
    return con.execute(query, {"pass_mark": pass_mark}).df()


def pair_state(history: pd.DataFrame, before) -> pd.DataFrame:
    """Each practiced pair's state from attempts strictly before `before`, as the features of its next attempt.

    `history` is practice_history() output (ordered by time, then attempt_id).
    """
    past = history[history["attempted_at"] < pd.Timestamp(before)]
    last = past.drop_duplicates(["rep_id", "message_id"], keep="last")
    rep = past.groupby("rep_id")["score"].agg(["count", "sum"])
    success = last["is_success"].astype(bool)
    return pd.DataFrame({
        "rep_id": last["rep_id"].to_numpy(),
        "message_id": last["message_id"].to_numpy(),
        "n_prior_attempts": (last["n_prior_attempts"] + 1).to_numpy(),
        "n_prior_successes": (last["n_prior_successes"] + success).to_numpy(),
        "n_prior_failures": (last["n_prior_failures"] + ~success).to_numpy(),
        "last_score": last["score"].to_numpy(),
        "last_practiced_at": last["attempted_at"].to_numpy(),
        "days_between_prior_practices": last["days_since_last_practice"].to_numpy(),
        "rep_n_prior_attempts": last["rep_id"].map(rep["count"]).to_numpy(),
        "rep_score_sum_prior": last["rep_id"].map(rep["sum"]).to_numpy(),
    }, columns=STATE_COLUMNS)


def pair_states(history: pd.DataFrame, befores) -> pd.DataFrame:
    """pair_state for several dates at once, stacked with a `before` column (binary search, no pass per date)."""
    befores = [pd.Timestamp(b) for b in befores]
    times = history["attempted_at"].to_numpy(dtype="datetime64[ns]")
    n = len(history)
    pair = history.groupby(["rep_id", "message_id"], sort=False).ngroup().to_numpy(dtype=np.int64)
    rep = history.groupby("rep_id", sort=False).ngroup().to_numpy(dtype=np.int64)
    position = np.arange(n, dtype=np.int64)
    pair_key = np.sort(pair * n + position)                       # pair-major, then time order
    rep_order = np.lexsort((position, rep))
    rep_key = rep[rep_order] * n + position[rep_order]
    rep_sum = pd.Series(history["score"].to_numpy(dtype=float)[rep_order]).groupby(rep[rep_order]).cumsum() \
        .to_numpy()
    n_pairs = int(pair.max()) + 1 if n else 0
    first_of_pair = np.searchsorted(pair_key, np.arange(n_pairs) * n)
    lasts, counts, sums, which = [], [], [], []
    for k, before in enumerate(befores):
        cut = int(np.searchsorted(times, np.datetime64(before.as_unit("ns").asm8), side="left"))
        end = np.searchsorted(pair_key, np.arange(n_pairs) * n + cut) - 1        # last attempt before the cut
        last = np.sort(pair_key[end[end >= first_of_pair]] % n)                  # in time order, as pair_state
        r = rep[last]
        upto = np.searchsorted(rep_key, r * n + cut)
        lasts.append(last)
        counts.append(upto - np.searchsorted(rep_key, r * n))
        sums.append(rep_sum[upto - 1] if len(upto) else np.zeros(0))
        which.append(np.full(len(last), k))
    last = np.concatenate(lasts) if lasts else np.zeros(0, dtype=np.int64)
    rows = history.iloc[last].reset_index(drop=True)
    success = rows["is_success"].to_numpy(dtype=bool)
    return pd.DataFrame({
        "rep_id": rows["rep_id"],
        "message_id": rows["message_id"],
        "n_prior_attempts": rows["n_prior_attempts"].to_numpy() + 1,
        "n_prior_successes": rows["n_prior_successes"].to_numpy() + success,
        "n_prior_failures": rows["n_prior_failures"].to_numpy() + ~success,
        "last_score": rows["score"].to_numpy(),
        "last_practiced_at": rows["attempted_at"].to_numpy(),
        "days_between_prior_practices": rows["days_since_last_practice"].to_numpy(),
        "rep_n_prior_attempts": np.concatenate(counts) if counts else np.zeros(0, dtype=np.int64),
        "rep_score_sum_prior": np.concatenate(sums) if sums else np.zeros(0),
        "before": np.array(befores, dtype="datetime64[ns]")[np.concatenate(which)] if which else
        np.zeros(0, dtype="datetime64[ns]"),
    }, columns=[*STATE_COLUMNS, "before"])


def _attempt_frame(attempts: pd.DataFrame) -> pd.DataFrame:
    """The attempt columns the SQL needs, adding attempt ids (row order) when the frame has none."""
    frame = pd.DataFrame({
        "attempt_id": (attempts["attempt_id"].astype(str) if "attempt_id" in attempts
                       else pd.Series([f"{i:012d}" for i in range(len(attempts))], index=attempts.index)),
        "rep_id": attempts["rep_id"].astype("string"),
        "message_id": attempts["message_id"].astype("string"),
        "attempted_at": pd.to_datetime(attempts["attempted_at"]),
        "score": pd.to_numeric(attempts["score"]).astype(float),
        "passed": attempts["passed"].astype("boolean") if "passed" in attempts else pd.NA,
    })
    return frame.reset_index(drop=True)


def _attempts(source) -> pd.DataFrame:
    return load_attempts(source) if isinstance(source, duckdb.DuckDBPyConnection) else source


# --------------------------------------------------------------------------------------------- model

@dataclass(frozen=True)
class RetentionModel:
    """Fitted half-life regression: named parameters plus what is needed to rebuild features."""

    params: pd.Series
    pass_mark: float
    mean_score: float
    messages: tuple[str, ...]
    reps: tuple[str, ...]
    n_attempts: int
    n_repeat_attempts: int
    rmse_in_sample: float

    @functools.cached_property
    def fingerprint(self) -> str:
        """sha256 of every fitted value and name: equal for equal models, cheap to compare and hash (caches)."""
        h = hashlib.sha256()
        h.update(self.params.to_numpy(dtype=float).tobytes())
        h.update("\n".join(map(str, self.params.index)).encode())
        h.update(repr((self.pass_mark, self.mean_score, self.messages, self.reps, self.n_attempts,
                       self.n_repeat_attempts, self.rmse_in_sample)).encode())
        return h.hexdigest()

    @property
    def floor(self) -> float:
        """Expected score once everything is forgotten (guessing level)."""
        return float(self.params["floor"])

    def summary(self) -> dict:
        """The fitted law in words and days, for an average rep and message right after a first pass."""
        p = self.params
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
            "n_attempts": self.n_attempts,
            "n_repeat_attempts": self.n_repeat_attempts,
            "rmse_in_sample": self.rmse_in_sample,
        }

    def message_half_life_multiplier(self) -> pd.Series:
        """How much longer (>1) or shorter (<1) each message is remembered than the average one."""
        return pd.Series({m: 2.0 ** self.params[f"log2_half_life[message={m}]"] for m in self.messages},
                         name="half_life_multiplier")

    def rep_half_life_multiplier(self) -> pd.Series:
        """How much longer (>1) or shorter (<1) each rep remembers than their history alone suggests."""
        return pd.Series({r: 2.0 ** self.params[f"log2_half_life[rep={r}]"] for r in self.reps},
                         name="half_life_multiplier")

    def half_life_days(self, features: pd.DataFrame) -> np.ndarray:
        """Half-life in days for rows holding the features of a next attempt (history rows or pair_state)."""
        _, _, s, _ = _forward(self._theta(), _design(features, self))
        return 2.0 ** s

    def expected_score(self, features: pd.DataFrame, gap_days=None) -> np.ndarray:
        """Expected score for rows with features, `gap_days` after their last practice (default: their own gap)."""
        p, _, _, _ = _forward(self._theta(), _design(features, self, gap_days))
        return p

    def days_until_below(self, features: pd.DataFrame, target: float = TARGET) -> np.ndarray:
        """Days after the last practice until the expected score falls below target (inf: never, 0: already)."""
        _, f, s, c = _forward(self._theta(), _design(features, self))
        start = f + (1.0 - f) * c
        with np.errstate(divide="ignore", invalid="ignore"):
            days = (2.0 ** s) * np.log2((start - f) / (target - f))
        days = np.where(start < target, 0.0, days)
        return np.where(target <= f, np.inf, days)

    def predict(self, pairs_state: pd.DataFrame, on_dates, target: float = TARGET) -> pd.DataFrame:
        """Expected score, half-life and reinforce-by date of each pair in `pairs_state` on each date."""
        days = [pd.Timestamp(d).normalize() for d in on_dates]
        if not days:
            return pd.DataFrame(columns=PREDICT_COLUMNS)
        stacked = pd.concat([pairs_state] * len(days), ignore_index=True) if len(days) > 1 else pairs_state
        return self.predict_rows(stacked, np.repeat(np.array(days, dtype="datetime64[ns]"), len(pairs_state)), target)

    def predict_rows(self, states: pd.DataFrame, on_days, target: float = TARGET) -> pd.DataFrame:
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
        values = self.params.to_numpy(dtype=float).copy()
        values[0] = _logit(values[0])
        return values


def fit(attempts: pd.DataFrame, pass_mark: float = PASS_MARK) -> RetentionModel:
    """Fit the forgetting law on graded attempts (rep_id, message_id, attempted_at, score)."""
    return _fit_history(practice_history(attempts, pass_mark), pass_mark)


def _fit_history(history: pd.DataFrame, pass_mark: float) -> RetentionModel:
    repeat = history[history["n_prior_attempts"] >= 1]
    if len(repeat) < MIN_REPEAT_ATTEMPTS:
        raise NotEnoughHistory(
            f"{len(repeat)} repeat attempts; at least {MIN_REPEAT_ATTEMPTS} are needed to learn forgetting")
    messages = tuple(sorted(repeat["message_id"].astype(str).unique()))
    reps = tuple(sorted(repeat["rep_id"].astype(str).unique()))
    names = _param_names(messages, reps)
    shell = RetentionModel(pd.Series(np.zeros(len(names)), index=names), pass_mark,
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
    return RetentionModel(pd.Series(values, index=names), shell.pass_mark, shell.mean_score, messages, reps,
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


def _design(features: pd.DataFrame, model: RetentionModel, gap_days=None) -> dict:
    """Feature matrices for the half-life and recall parts; unseen messages and reps get the average effect."""
    n = len(features)
    rep_n = features["rep_n_prior_attempts"].to_numpy(dtype=float)
    rep_sum = features["rep_score_sum_prior"].to_numpy(dtype=float)
    skill = (rep_sum + SKILL_PRIOR_ATTEMPTS * model.mean_score) / (rep_n + SKILL_PRIOR_ATTEMPTS) - model.mean_score
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
        "message": _codes(features["message_id"], model.messages), "n_messages": len(model.messages),
        "rep": _codes(features["rep_id"], model.reps), "n_reps": len(model.reps),
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


# --------------------------------------------------------------------------------------------- evaluation

def default_cutoff(attempts: pd.DataFrame) -> pd.Timestamp:
    """The time by which 80 % of the graded attempts had happened."""
    times = pd.to_datetime(attempts["attempted_at"]).dropna().sort_values().to_numpy()
    return pd.Timestamp(times[int(0.8 * (len(times) - 1))])


def evaluate(attempts: pd.DataFrame | duckdb.DuckDBPyConnection, cutoff=None,
             pass_mark: float = PASS_MARK) -> dict:
    """Fit before the cutoff, predict each pair's first later attempt; MAE and calibration against two baselines."""
    attempts = _attempt_frame(_attempts(attempts))
    attempts = attempts[attempts["score"].notna() & attempts["rep_id"].notna() & attempts["message_id"].notna()
                        & attempts["attempted_at"].notna()]
    cutoff = default_cutoff(attempts) if cutoff is None else pd.Timestamp(cutoff)
    train = attempts[attempts["attempted_at"] < cutoff]
    history = practice_history(train, pass_mark)
    model = _fit_history(history, pass_mark)
    state = pair_state(history, cutoff)
    later = (attempts[attempts["attempted_at"] >= cutoff]
             .sort_values(["attempted_at", "attempt_id"])
             .drop_duplicates(["rep_id", "message_id"], keep="first"))
    test = state.merge(later[["rep_id", "message_id", "attempted_at", "score"]], on=["rep_id", "message_id"])
    gap = (test["attempted_at"] - test["last_practiced_at"]).dt.total_seconds().to_numpy() / 86400.0
    observed = test["score"].to_numpy(dtype=float)
    predictions = {
        "model": model.expected_score(test, gap),
        "last_score": test["last_score"].to_numpy(dtype=float),
        "mean_score": np.full(len(test), float(train["score"].mean())),
    }
    mae = {name: float(np.mean(np.abs(pred - observed))) if len(test) else math.nan
           for name, pred in predictions.items()}
    return {
        "cutoff": cutoff,
        "n_train": int(len(train)),
        "n_test": int(len(test)),
        "n_new_pairs_skipped": int(len(later) - len(test)),
        "mae_model": mae["model"],
        "mae_last_score": mae["last_score"],
        "mae_mean_score": mae["mean_score"],
        "calibration": calibration_table(predictions, observed),
        "model": model,
    }


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


# --------------------------------------------------------------------------------------------- answers

def forecast(con: duckdb.DuckDBPyConnection, on_dates: list[date], target: float = TARGET,
             pass_mark: float = PASS_MARK, model: RetentionModel | None = None) -> pd.DataFrame:
    """Expected score of every rep x message on each date (never-trained pairs with null scores).

    The state of a pair on a date uses its attempts on or before that date; the law is fitted on all attempts.
    """
    pairs = con.execute(sql("marts/dim_retention_pairs.sql")).df()
    days = [pd.Timestamp(d).normalize() for d in on_dates]
    if not days:
        return pd.DataFrame(columns=FORECAST_COLUMNS)
    predicted = practiced_scores(con, days, target, pass_mark, model)
    grid = pd.concat([pairs.assign(on_date=day) for day in days], ignore_index=True)
    predicted["on_date"] = pd.to_datetime(predicted["on_date"]).astype(grid["on_date"].dtype)
    out = grid.merge(predicted, on=["rep_id", "message_id", "on_date"], how="left")
    out = out.rename(columns={"message_name": "message"})
    out["n_attempts"] = out["n_attempts"].fillna(0).astype("int64")
    for column in ("expected_score", "half_life_days"):
        out[column] = out[column].astype(float)
    for column in ("on_date", "last_practiced", "reinforce_by"):
        out[column] = pd.to_datetime(out[column])
    return out[FORECAST_COLUMNS]


def practiced_scores(con: duckdb.DuckDBPyConnection, on_dates: list[date], target: float = TARGET,
                     pass_mark: float = PASS_MARK, model: RetentionModel | None = None) -> pd.DataFrame:
    """forecast() of the practiced pairs only (PREDICT_COLUMNS), without the roster grid; no model: null scores."""
    days = [pd.Timestamp(d).normalize() for d in on_dates]
    if not days:
        return pd.DataFrame(columns=PREDICT_COLUMNS)
    if model is None:
        history = practice_history(con, pass_mark)
        try:
            model = _fit_history(history, pass_mark)
        except NotEnoughHistory:
            model = None
    else:
        history = _state_history(con, pass_mark)
    state = pair_states(history, [day + pd.Timedelta(days=1) for day in days])
    on_day = (state["before"] - pd.Timedelta(days=1)).to_numpy()
    if model is not None:
        return model.predict_rows(state, on_day, target)
    return pd.DataFrame({"rep_id": state["rep_id"], "message_id": state["message_id"], "on_date": on_day,
                         "expected_score": math.nan, "half_life_days": math.nan,
                         "last_practiced": pd.to_datetime(state["last_practiced_at"]).dt.normalize(),
                         "n_attempts": state["n_prior_attempts"], "reinforce_by": pd.NaT})


def reinforcement_list(con: duckdb.DuckDBPyConnection, today: date, target: float = TARGET,
                       horizon_days: int = 7, model: RetentionModel | None = None) -> pd.DataFrame:
    """Trained pairs whose expected score is below target now or will be within the horizon, weakest first."""
    return due(forecast(con, [today], target, model=model), today, horizon_days)


def due(current: pd.DataFrame, today: date, horizon_days: int = 7) -> pd.DataFrame:
    """The reinforcement list from forecast() rows of `today`: due within the horizon, weakest first."""
    # ties broken by rep, message and ids, so any subset of the rows lists its pairs in the same order
    today = pd.Timestamp(today).normalize()
    out = current[(current["n_attempts"] > 0) & current["reinforce_by"].notna()
                  & (current["reinforce_by"] <= today + pd.Timedelta(days=horizon_days))].copy()
    out["days_left"] = (out["reinforce_by"] - today).dt.days.astype("int64")
    out = out.sort_values(["expected_score", "reinforce_by", "rep_name", "message", "rep_id", "message_id"],
                          kind="stable")
    return out[["rep_name", "rep_email", "team", "manager", "message", "expected_score", "reinforce_by", "days_left",
                "last_practiced", "n_attempts", "half_life_days", "rep_id", "message_id"]].reset_index(drop=True)


def share_above_target(con: duckdb.DuckDBPyConnection, on_dates: list[date], target: float = TARGET,
                       model: RetentionModel | None = None) -> pd.DataFrame:
    """Per date and message, the share of reps whose expected score is at or above target (untrained count below)."""
    scores = forecast(con, on_dates, target, model=model)
    scores["is_above"] = scores["expected_score"].fillna(-1.0) >= target
    out = (scores.groupby(["on_date", "message_id", "message"], as_index=False, dropna=False)
           .agg(n_reps=("rep_id", "size"), n_above=("is_above", "sum")))
    out["share_above"] = out["n_above"] / out["n_reps"]
    return out


HEAT_MAP_ROWS = {"rep": "rep_name", "team": "team"}


def expected_score_matrix(scores: pd.DataFrame, by: str = "team") -> pd.DataFrame:
    """Mean expected score of trained reps, rep or team x message, from one date of forecast() output."""
    if by not in HEAT_MAP_ROWS:
        raise ValueError(f"by must be one of {sorted(HEAT_MAP_ROWS)}, not {by!r}")
    return scores.pivot_table(index=HEAT_MAP_ROWS[by], columns="message", values="expected_score",
                              aggfunc="mean", dropna=False).sort_index()


def forgetting_curve(source, message_id: str | None = None, model: RetentionModel | None = None,
                     pass_mark: float = PASS_MARK) -> pd.DataFrame:
    """Observed and fitted mean score by days since a passed practice, per message.

    Uses attempts whose previous attempt on the message passed: what was known, tested again after a gap.
    """
    history = practice_history(_attempts(source), pass_mark)
    model = model or _fit_history(history, pass_mark)
    retests = _retests(history, pass_mark)
    if message_id is not None:
        retests = retests[retests["message_id"] == message_id]
    retests["fitted"] = model.expected_score(retests)
    retests["days_bin"] = pd.cut(retests["days_since_last_practice"], list(GAP_EDGES), right=False,
                                 labels=_bin_labels()).astype(str)
    out = (retests.groupby(["message_id", "days_bin"], as_index=False, sort=False)
           .agg(days_since_last_practice=("days_since_last_practice", "mean"), n_attempts=("score", "size"),
                observed_score=("score", "mean"), fitted_score=("fitted", "mean")))
    return out.sort_values(["message_id", "days_since_last_practice"]).reset_index(drop=True)


def forgotten_after(source, days: float = 30, model: RetentionModel | None = None,
                    pass_mark: float = PASS_MARK, min_attempts: int = 5) -> pd.DataFrame:
    """Per message, the share of a passed score lost after about `days` without practice, measured from attempts.

    Measured on attempts made 0.75x to 1.25x `days` after a passed attempt: 1 - mean score / mean passed score.
    `model_share_forgotten` is what the fitted law says for all such retests at exactly `days`.
    """
    history = practice_history(_attempts(source), pass_mark)
    model = model or _fit_history(history, pass_mark)
    retests = _retests(history, pass_mark)
    retests["at_days"] = model.expected_score(retests, np.full(len(retests), float(days)))
    retests["at_zero"] = model.expected_score(retests, np.zeros(len(retests)))
    window = retests["days_since_last_practice"].between(0.75 * days, 1.25 * days)
    measured = (retests[window].groupby("message_id")
                .agg(n_attempts=("score", "size"), mean_days=("days_since_last_practice", "mean"),
                     score_before=("last_score", "mean"), score_after=("score", "mean")))
    modelled = retests.groupby("message_id").agg(at_days=("at_days", "mean"), at_zero=("at_zero", "mean"))
    out = modelled.join(measured, how="left")
    out["n_attempts"] = out["n_attempts"].fillna(0).astype("int64")
    enough = out["n_attempts"] >= min_attempts
    out["share_forgotten"] = (1.0 - out["score_after"] / out["score_before"]).where(enough)
    out["model_share_forgotten"] = 1.0 - out["at_days"] / out["at_zero"]
    out["folk_share_forgotten"] = FOLK_SHARE_FORGOTTEN_30D
    out["days"] = float(days)
    return out.reset_index()[["message_id", "days", "n_attempts", "mean_days", "score_before", "score_after",
                              "share_forgotten", "model_share_forgotten", "folk_share_forgotten"]]


def _retests(history: pd.DataFrame, pass_mark: float) -> pd.DataFrame:
    """Attempts whose previous attempt on the same message passed."""
    return history[history["last_score"] >= pass_mark].copy()


def _bin_labels() -> list[str]:
    labels = []
    for low, high in zip(GAP_EDGES[:-1], GAP_EDGES[1:]):
        labels.append(f"{low}+" if math.isinf(high) else f"{low}-{high}")
    return labels


def forecast_rows(df: pd.DataFrame) -> pd.DataFrame:
    """The forecast command's public rows: ISO dates, scores to 3 decimals, half-lives to 0.1 day, nulls as None."""
    out = df[FORECAST_PUBLIC_COLUMNS].copy()
    for c in ("on_date", "last_practiced", "reinforce_by"):
        out[c] = pd.to_datetime(out[c]).dt.strftime("%Y-%m-%d")
    out["expected_score"] = out["expected_score"].round(3)
    out["half_life_days"] = out["half_life_days"].round(1)
    out["n_attempts"] = out["n_attempts"].astype("Int64")
    return out.astype(object).where(out.notna(), None)
