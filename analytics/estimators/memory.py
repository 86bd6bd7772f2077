"""The memory model: FSRS-6's law fitted to the organization's history, corrected by what an LMS knows.

Two stages. (1) FSRS-6 (fsrs_law) walks each rep x message pair through its attempts, with parameters fitted to the
organization's later-day attempts by log loss (same-day relearning steps update the state but are not scored, as in
FSRS), shrunk towards FSRS-6's published defaults; a random sample of pairs keeps that fit fast on big histories.
(2) A head turns the pair's state into a forecast: recall = f + (1 - f) * sigmoid(a + b * logit R + x.beta + u_message
+ v_rep), where R is FSRS-6's retrievability after the gap, x holds the pair's last score and lapses, its FSRS
difficulty and the rep's earlier pass rate across messages, u and v are ridge-shrunk per-message and per-rep effects
(rare ones stay near the typical curve), and f is the guessing floor. One head is fitted by log loss on pass/fail
(the recall), another by binomial deviance on scores (the expected score). Which variant is used (defaults or fitted
FSRS parameters, with or without the head) is chosen by a time-ordered check inside the training history: from
rolling origins (its last 30 %, 20 % and 10 %), fit on what came before, forecast each pair's first later-day attempt
after the origin, and keep the lowest pooled log loss; never by fit.
Bounds: stability and half-lives are capped at STABILITY_CAP_FACTOR x the longest gap seen between two attempts of
a pair; reinforce-by dates beyond `horizon_days` after the forecast date are reported as beyond it.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from threadpoolctl import threadpool_limits

from analytics.estimators import fsrs_law
from analytics.estimators import memory_features as mf
from analytics.estimators.memory_head import Head, fit_head, head_design
from analytics.settings import PASS_MARK, RETENTION_TARGET

VARIANTS = ("fsrs6", "fsrs6_fitted", "fsrs6_head", "fsrs6_fitted_head")
# Stability (days until recall falls to 90 %) and reported half-lives are capped at this many times the longest gap
# observed between two attempts of a pair (at least MIN_CAP_DAYS): no attempt in the data could show more.
STABILITY_CAP_FACTOR = 3.0
MIN_CAP_DAYS = 30.0
HORIZON_DAYS = 365
# Fewer repeat attempts (a rep taking a message's quiz again) than this: the organization's own data cannot show how
# fast anything is forgotten, so Huddle shows no forecast rather than FSRS-6's published defaults alone.
MIN_REPEAT_ATTEMPTS = 20
VALIDATION_SHARES = (0.3, 0.2, 0.1)   # rolling origins of the time-ordered check: the last 30 %, 20 % and 10 %
MIN_VALIDATION_PAIRS = 30      # an origin with fewer held-out pairs is skipped; with none left, FSRS-6's defaults
MIN_FIT_REVIEWS = 50           # fewer later-day attempts than this: FSRS-6's parameters are not refitted
MAX_FIT_REVIEWS = 12_000       # FSRS parameters are fitted on a random sample of pairs with about this many attempts
PRIOR_REVIEWS = 2.0            # weight of FSRS-6's defaults in the parameter fit, in later-day attempts
MAX_HEAD_ROWS = 20_000         # heads are fitted on a random sample of at most this many later-day attempts
FIT_ITERATIONS = 80            # L-BFGS iterations of the FSRS parameter fit on the validation's training part
REFIT_ITERATIONS = 20          # ... and of the refit on the whole history, started from that fit
PREDICT_COLUMNS = ["rep_id", "message_id", "on_date", "recall", "expected_score", "half_life_days", "stability_days",
                   "last_practiced", "n_attempts", "reinforce_by", "is_beyond_horizon"]


class NotEnoughHistory(ValueError):
    """Too few repeat attempts to learn how fast anything is forgotten."""


def n_repeat_attempts(history: pd.DataFrame) -> int:
    """Graded attempts of a rep x message pair that has an earlier attempt (what shows forgetting)."""
    known = history.dropna(subset=["rep_id", "message_id", "attempted_at", "score"])
    return int(known.duplicated(["rep_id", "message_id"]).sum())


@dataclass(eq=False)
class MemoryModel:
    """Forecast of recall and score per rep x message; fit() learns parameters_, variant_, validation_, heads."""

    pass_mark: float = PASS_MARK
    target: float = RETENTION_TARGET
    horizon_days: int = HORIZON_DAYS
    stability_cap_factor: float = STABILITY_CAP_FACTOR
    validation_shares: tuple[float, ...] = VALIDATION_SHARES
    variants: tuple[str, ...] = VARIANTS
    max_fit_reviews: int = MAX_FIT_REVIEWS
    fit_iterations: int = FIT_ITERATIONS
    seed: int = 0
    # learned by fit() (fields, so that a fitted model is stored and read back whole by analytics.results)
    n_attempts_: int = 0
    n_repeat_attempts_: int = 0
    messages_: tuple[str, ...] = ()
    pass_rate_: float = math.nan
    cap_days_: float = math.nan
    validation_: dict = field(default_factory=dict)
    variant_: str = ""
    parameters_: np.ndarray | None = None
    recall_head_: Head | None = None
    score_head_: Head | None = None
    n_fit_reviews_: int = 0
    name = "memory"

    @property
    def fingerprint(self) -> str:
        """sha256 of every setting and fitted value: equal for equal models, cheap to compare and hash (caches)."""
        h = hashlib.sha256()
        h.update(repr((self.pass_mark, self.target, self.horizon_days, self.stability_cap_factor,
                       self.validation_shares, self.variants, self.max_fit_reviews, self.fit_iterations, self.seed,
                       self.n_attempts_, self.n_repeat_attempts_, self.messages_, self.pass_rate_, self.cap_days_,
                       sorted(self.validation_.items()), self.variant_, self.n_fit_reviews_)).encode())
        if self.parameters_ is not None:
            h.update(np.asarray(self.parameters_, dtype=float).tobytes())
        for head in (self.recall_head_, self.score_head_):
            if head is not None:
                h.update(repr((head.a, head.b, head.floor, head.pass_mark, head.messages, head.reps)).encode())
                for values in (head.beta, head.u, head.v):
                    h.update(np.asarray(values, dtype=float).tobytes())
        return h.hexdigest()

    # ----------------------------------------------------------------------------------------- fitting

    def fit(self, history: pd.DataFrame) -> MemoryModel:
        """Learn from graded attempts (rep_id, message_id, attempted_at, score; attempt_id breaks ties)."""
        # Many small matrix products: BLAS threads only contend with each other (several times slower on 2 cores).
        with threadpool_limits(limits=1, user_api="blas"):
            return self._fit(history)

    def _fit(self, history: pd.DataFrame) -> MemoryModel:
        a = mf.prepare(history, self.pass_mark)
        self.n_attempts_ = len(a)
        self.n_repeat_attempts_ = int(len(a) - len(a.pair_keys))
        self.messages_ = tuple(sorted(a.frame["message_id"].unique()))
        self.pass_rate_ = float(a.is_pass.mean()) if len(a) else 0.5
        self.cap_days_ = self.stability_cap_factor * max(mf.longest_gap_days(a), MIN_CAP_DAYS)
        self.validation_ = self._validate(a)
        self.variant_ = (min(self.validation_, key=self.validation_.get) if self.validation_
                         else self.variants[0] if len(self.variants) == 1 else "fsrs6")
        start = {"start": self._validation_w, "iterations": REFIT_ITERATIONS} \
            if self._validation_w is not None else {}
        fitted = _fit_variant(a, self.variant_, self._options(), self.cap_days_, self.pass_rate_, start)
        self.parameters_ = fitted["w"]
        self.recall_head_ = fitted["recall"]
        self.score_head_ = fitted["score"]
        self.n_fit_reviews_ = fitted["n_fit_reviews"]
        return self

    def _options(self) -> dict:
        return {"pass_mark": self.pass_mark, "max_fit_reviews": self.max_fit_reviews, "seed": self.seed,
                "iterations": self.fit_iterations}

    def _validate(self, a: mf.Attempts) -> dict[str, float]:
        """Pooled log loss of each variant over rolling origins: for each share in validation_shares, fit on the
        history before its last `share` of attempts and forecast each pair's first later-day attempt after that."""
        self._validation_w = None
        if len(a) < 2 or len(self.variants) < 2:
            return {}
        losses = {variant: [] for variant in self.variants}
        start = None
        for share in sorted(self.validation_shares, reverse=True):          # earliest origin first
            split = pd.Timestamp(np.quantile(a.times, 1.0 - share).astype("datetime64[ns]"))
            early, targets = mf.later_day_targets(a.frame, split)
            if len(targets) < MIN_VALIDATION_PAIRS:
                continue
            ea = mf.prepare(early, self.pass_mark)
            pass_rate = float(ea.is_pass.mean())
            cap = self.stability_cap_factor * max(mf.longest_gap_days(ea), MIN_CAP_DAYS)
            y = (targets["score"].to_numpy(dtype=float) >= self.pass_mark).astype(float)
            cache = {} if start is None else {"start": start, "iterations": REFIT_ITERATIONS}
            for variant in self.variants:
                fitted = _fit_variant(ea, variant, self._options(), cap, pass_rate, cache, with_score=False)
                states = mf.end_state(ea, mf.walk(ea, fitted["w"]))
                states = targets[["rep_id", "message_id"]].merge(states, on=["rep_id", "message_id"], how="left")
                recall, _, _ = _forecast(fitted, states, _gap_days(states, targets["attempted_at"]), cap, pass_rate)
                losses[variant].append(_log_losses(y, recall))
            start = cache.get("w", start)
        self._validation_w = start
        if not losses[self.variants[0]]:
            return {}
        return {variant: float(np.mean(np.concatenate(parts))) for variant, parts in losses.items()}

    # ----------------------------------------------------------------------------------------- forecasting

    def states(self, history: pd.DataFrame, before=None) -> pd.DataFrame:
        """Each practiced pair's state from its attempts strictly before `before` (default: all of them)."""
        frame = history if before is None else history[pd.to_datetime(history["attempted_at"]) < pd.Timestamp(before)]
        a = mf.prepare(frame, self.pass_mark)
        return mf.end_state(a, mf.walk(a, self.parameters_))

    def predict_at(self, states: pd.DataFrame, at) -> tuple[np.ndarray, np.ndarray]:
        """Recall probability and expected score of each state's next attempt at its own time `at` (per row)."""
        recall, score, _ = _forecast(self._fitted(), states, _gap_days(states, at), self.cap_days_, self.pass_rate_)
        return recall, score

    def predict(self, states: pd.DataFrame, on_dates) -> pd.DataFrame:
        """Recall, expected score, half-life and reinforce-by date of each pair on each date (PREDICT_COLUMNS)."""
        days = [pd.Timestamp(d).normalize() for d in on_dates]
        if not days or len(states) == 0:
            return pd.DataFrame(columns=PREDICT_COLUMNS)
        stacked = pd.concat([states] * len(days), ignore_index=True)
        on_day = pd.Series(np.repeat(np.array(days, dtype="datetime64[ns]"), len(states)))
        last_day = pd.to_datetime(stacked["last_practiced_at"]).dt.normalize()
        gap = ((on_day - last_day).dt.days.clip(lower=0)).to_numpy(dtype=float)
        fitted = self._fitted()
        recall, score, s_eff = _forecast(fitted, stacked, gap, self.cap_days_, self.pass_rate_)
        half_life = np.minimum(_days_until(fitted["recall"], fitted["w"], stacked, s_eff, 0.5, self.pass_rate_),
                               self.cap_days_)
        until = _days_until(fitted["score"], fitted["w"], stacked, s_eff, self.target, self.pass_rate_)
        finite = np.isfinite(until)
        offset = np.where(finite, np.floor(np.where(finite, until, 0.0)) + (until > 0), np.inf)
        limit = (on_day - last_day).dt.days.to_numpy(dtype=float) + self.horizon_days
        beyond = offset > limit
        reinforce_by = last_day + pd.to_timedelta(np.where(beyond, 0.0, offset), unit="D")
        return pd.DataFrame({
            "rep_id": stacked["rep_id"].to_numpy(), "message_id": stacked["message_id"].to_numpy(),
            "on_date": on_day.to_numpy(), "recall": recall, "expected_score": score, "half_life_days": half_life,
            "stability_days": s_eff, "last_practiced": last_day.to_numpy(),
            "n_attempts": stacked["n_attempts"].to_numpy(), "reinforce_by": reinforce_by.where(~beyond).to_numpy(),
            "is_beyond_horizon": beyond,
        }, columns=PREDICT_COLUMNS)

    def horizon_label(self) -> str:
        """How a reinforce-by date past the horizon is shown."""
        return f"beyond {self.horizon_days} days"

    def tidy(self) -> pd.DataFrame:
        """Per message: its effect on recall and, for an average rep after one passed attempt, half-life and 30-day
        recall."""
        head = self.recall_head_
        messages = list(self.messages_)
        probe = pd.DataFrame({
            "rep_id": pd.Series([None] * len(messages), dtype="string"), "message_id": messages,
            "last_practiced_at": pd.Timestamp("2000-01-01"), "n_attempts": 1, "n_fail": 0.0,
            "last_score": 0.9, "stability": self.parameters_[fsrs_law.GOOD - 1],
            "difficulty": np.clip(self.parameters_[4] - np.exp(self.parameters_[5] * 2) + 1, 1, 10),
            "rep_n_attempts": 0.0, "rep_n_pass": 0.0})
        fitted = self._fitted()
        s_eff = np.minimum(probe["stability"].to_numpy(dtype=float), _stability_cap(fitted["w"], self.cap_days_))
        recall_30, _, _ = _forecast(fitted, probe, np.full(len(probe), 30.0), self.cap_days_, self.pass_rate_)
        half_life = _days_until(head, fitted["w"], probe, s_eff, 0.5, self.pass_rate_)
        return pd.DataFrame({
            "message_id": messages, "recall_effect": head.message_effect(messages),
            "half_life_days_after_first_pass": np.minimum(half_life, self.cap_days_),
            "recall_at_30_days_after_first_pass": recall_30, "variant": self.variant_})

    def _fitted(self) -> dict:
        return {"w": self.parameters_, "recall": self.recall_head_, "score": self.score_head_}


# --------------------------------------------------------------------------------------------- internals

def _fit_variant(a: mf.Attempts, variant: str, options: dict, cap_days: float, pass_rate: float,
                 cache: dict | None = None, with_score: bool = True) -> dict:
    """FSRS parameters and the heads of one variant (cache shares the fitted FSRS parameters between variants)."""
    cache = {} if cache is None else cache
    n_later = int(np.sum(a.elapsed >= 1)) if len(a) else 0
    w, n_fit = fsrs_law.DEFAULT_PARAMETERS.copy(), 0
    if "fitted" in variant and n_later >= MIN_FIT_REVIEWS:
        if "w" not in cache:
            cache["w"], cache["n"] = _fit_fsrs(a, options["max_fit_reviews"], options["seed"], cache.get("start"),
                                               cache.get("iterations", options["iterations"]))
        w, n_fit = cache["w"], cache["n"]
    walked = mf.walk(a, w)
    rows = walked["elapsed"] >= 1
    enough = rows.sum() >= MIN_FIT_REVIEWS
    if rows.sum() > MAX_HEAD_ROWS:
        chosen = np.random.default_rng(options["seed"]).choice(np.flatnonzero(rows), MAX_HEAD_ROWS, replace=False)
        rows = np.zeros(len(rows), dtype=bool)
        rows[chosen] = True
    design = head_design(a, walked, _row_features(a, pass_rate), rows, w, _stability_cap(w, cap_days),
                         options["pass_mark"]) if enough and (with_score or "head" in variant) else None
    score_head = fit_head(design, a.score[rows]) if enough and with_score else Head.identity()
    recall_head = fit_head(design, a.is_pass[rows].astype(float)) if enough and "head" in variant \
        else Head.identity()
    return {"w": w, "recall": recall_head, "score": score_head, "n_fit_reviews": n_fit}


def _row_features(a: mf.Attempts, pass_rate: float) -> pd.DataFrame:
    key = ("row_features", pass_rate)
    if key not in a._cache:
        a._cache[key] = mf.row_features(a, pass_rate)
    return a._cache[key]


def _fit_fsrs(a: mf.Attempts, max_reviews: int, seed: int, start=None,
              iterations: int = FIT_ITERATIONS) -> tuple[np.ndarray, int]:
    """FSRS-6 parameters by log loss on later-day attempts of a sample of pairs, shrunk towards the defaults."""
    pair_sizes = np.bincount(a.pair)
    keep = np.ones(len(a), dtype=bool)
    if len(a) > max_reviews:
        order = np.random.default_rng(seed).permutation(len(pair_sizes))
        chosen = order[:int(np.searchsorted(np.cumsum(pair_sizes[order]), max_reviews)) + 1]
        keep = np.isin(a.pair, chosen)
    seqs = fsrs_law.pack(a.pair[keep], a.times[keep], a.rating[keep])
    y = a.is_pass[keep].astype(float)
    n_scored = max(int(np.sum(seqs.elapsed >= 1)), 1)
    w0 = fsrs_law.DEFAULT_PARAMETERS
    scale = np.maximum(np.abs(w0), 0.1)
    ridge = PRIOR_REVIEWS / n_scored

    def objective(w):
        loss, grad = fsrs_law.run(seqs, w, labels=y)
        z = (w - w0) / scale
        return loss + ridge * float(z @ z), grad + 2.0 * ridge * z / scale

    result = minimize(objective, (w0 if start is None else start).copy(), jac=True, method="L-BFGS-B",
                      bounds=fsrs_law.BOUNDS, options={"maxiter": iterations, "ftol": 1e-10})
    return result.x, int(keep.sum())


def _stability_cap(w, cap_days: float) -> float:
    """Largest stability (days to 90 % recall) the data support."""
    return float(cap_days)


def _forecast(fitted: dict, states: pd.DataFrame, gap_days, cap_days: float, pass_rate: float):
    """Recall, expected score and capped stability for states `gap_days` after their last attempt."""
    w = fitted["w"]
    s_eff = np.minimum(states["stability"].to_numpy(dtype=float), _stability_cap(w, cap_days))
    unknown = ~np.isfinite(s_eff)
    s_eff = np.where(unknown, w[fsrs_law.GOOD - 1], s_eff)
    R = fsrs_law.retrievability(gap_days, s_eff, w)
    x = _state_features(states, pass_rate)
    return fitted["recall"].predict(R, x, states), fitted["score"].predict(R, x, states), s_eff


def _days_until(head: Head, w, states: pd.DataFrame, s_eff, level: float, pass_rate: float) -> np.ndarray:
    """Days after the last attempt until the head's forecast falls below `level` (0: already; inf: never)."""
    r_star = head.retrievability_at(level, _state_features(states, pass_rate), states)
    days = fsrs_law.days_to_retrievability(np.clip(r_star, 1e-12, 1.0), s_eff, w)
    return np.where(np.isnan(r_star), np.inf, np.where(r_star >= 1.0, 0.0, days))


def _state_features(states: pd.DataFrame, pass_rate: float) -> dict:
    return {"n_prior": states["n_attempts"].to_numpy(dtype=float), "n_prior_fail": states["n_fail"].to_numpy(float),
            "last_score": states["last_score"].to_numpy(dtype=float),
            "rep_skill": mf.state_skill(states, pass_rate), "difficulty": states["difficulty"].to_numpy(float)}


def _gap_days(states: pd.DataFrame, at) -> np.ndarray:
    """Whole days from each state's last attempt to `at` (FSRS counts elapsed time in whole days)."""
    at = pd.to_datetime(pd.Series(np.asarray(at)))
    last = pd.to_datetime(states["last_practiced_at"]).reset_index(drop=True)
    return np.maximum(((at - last).dt.total_seconds() // 86_400).to_numpy(dtype=float), 0.0)


def _log_losses(y: np.ndarray, p: np.ndarray) -> np.ndarray:
    p = np.clip(p, 1e-6, 1 - 1e-6)
    return -(y * np.log(p) + (1 - y) * np.log(1 - p))
