"""A generated LMS whose reps remember by FSRS-6's own law with a planted parameter set (a test bed with answers).

Each rep x message pair starts with a first attempt; every later attempt passes with FSRS-6's retrievability after
the whole days elapsed, under PLANTED parameters. A pass scores uniformly in [pass mark, 1] and a fail in [0.2, pass
mark), and the score's rating (fsrs_law's rule) drives the next state, so the world follows FSRS-6 exactly. Gaps
follow FSRS's own schedule for a per-rep desired retention, spread by a lognormal factor so that many gaps are seen;
after a fail the rep retries the same day with probability `relearn_share` (a same-day relearning step).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analytics.estimators import fsrs_law

PASS_MARK = 0.8
# FSRS-6's defaults with a slower-forgetting first pass, a steeper power curve and stronger post-lapse memory.
PLANTED = fsrs_law.DEFAULT_PARAMETERS.copy()
PLANTED[[2, 8, 11, 20]] = [4.0, 1.5, 2.2, 0.35]
START = pd.Timestamp("2025-01-06 09:00")


def fsrs_world(n_reps: int = 60, n_messages: int = 20, days: int = 365, parameters=PLANTED, seed: int = 0,
               relearn_share: float = 0.7, max_attempts: int = 30) -> pd.DataFrame:
    """Attempts (attempt_id, rep_id, message_id, attempted_at, score, passed) over `days` days."""
    rng = np.random.default_rng(seed)
    w = np.asarray(parameters, dtype=float)
    n = n_reps * n_messages
    rep = np.repeat(np.arange(n_reps), n_messages)
    msg = np.tile(np.arange(n_messages), n_reps)
    retention = rng.uniform(0.7, 0.95, n_reps)[rep]
    day = rng.uniform(0, 0.6 * days, n)                 # fractional days since START
    S, D = np.full(n, np.nan), np.full(n, np.nan)
    last = np.full(n, np.nan)
    alive = np.ones(n, dtype=bool)
    out = {"pair": [], "day": [], "score": []}
    for _ in range(max_attempts):
        active = alive & (day < days)
        if not active.any():
            break
        elapsed = np.where(np.isnan(last), 0.0, np.floor(day - np.nan_to_num(last)))
        recall = np.where(np.isnan(S), rng.random(n) < 0.6,
                          rng.random(n) < fsrs_law.retrievability(elapsed, np.nan_to_num(S, nan=1.0), w))
        score = np.where(recall, rng.uniform(PASS_MARK, 1.0, n), rng.uniform(0.2, PASS_MARK, n))
        score = np.round(score, 3)
        rating = fsrs_law.ratings_from_scores(score, PASS_MARK)
        S_new, D_new = fsrs_law.review(S, D, rating, elapsed, w)
        _record(out, active, day, score)
        S, D = np.where(active, S_new, S), np.where(active, D_new, D)
        last = np.where(active, day, last)
        relearn = active & ~recall & (rng.random(n) < relearn_share)
        if relearn.any():                                 # same-day retry 10-60 minutes later
            again = day + rng.uniform(10, 60, n) / 1440.0
            re_score = np.round(rng.uniform(PASS_MARK, 1.0, n), 3)   # retrievability is 1 on the same day
            S_re, D_re = fsrs_law.review(S, D, fsrs_law.ratings_from_scores(re_score, PASS_MARK),
                                         np.zeros(n), w)
            _record(out, relearn, again, re_score)
            S, D = np.where(relearn, S_re, S), np.where(relearn, D_re, D)
            last = np.where(relearn, again, last)
        interval = fsrs_law.days_to_retrievability(retention, S, w)
        gap = np.maximum(1.0, np.round(interval * np.exp(rng.normal(0.0, 0.6, n))))
        day = np.where(active, np.floor(last) + gap + rng.uniform(8, 18, n) / 24.0, day)
        alive &= rng.random(n) < 0.97
    pair = np.concatenate(out["pair"])
    frame = pd.DataFrame({"rep": rep[pair], "msg": msg[pair], "day": np.concatenate(out["day"]),
                          "score": np.concatenate(out["score"])})
    frame = frame.sort_values(["day", "rep", "msg"], kind="stable", ignore_index=True)
    return pd.DataFrame({
        "attempt_id": [f"F{i:08d}" for i in range(len(frame))],
        "rep_id": "R" + frame["rep"].astype(str).str.zfill(4),
        "message_id": "M" + frame["msg"].astype(str).str.zfill(4),
        "attempted_at": START + pd.to_timedelta(frame["day"] * 86_400, unit="s").dt.round("s"),
        "score": frame["score"],
        "passed": frame["score"] >= PASS_MARK,
    })


def _record(out: dict, mask: np.ndarray, day: np.ndarray, score: np.ndarray) -> None:
    idx = np.flatnonzero(mask)
    out["pair"].append(idx)
    out["day"].append(day[idx])
    out["score"].append(score[idx])
