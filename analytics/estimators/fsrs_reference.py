"""FSRS-6, the reference to beat: the `fsrs` package's default parameters, or its Optimizer's on the training history.

Each rep x message pair is a card; each graded attempt a review, rated from its score by fsrs_law's documented rule
(below the pass mark Again, up to HARD_BAND above it Hard, from EASY_FROM Easy, otherwise Good). Same-day reviews
are handled as FSRS does: they update the card through the short-term stability and are left out of the
Optimizer's loss. The forecast of a next attempt is FSRS-6's retrievability after the whole days elapsed; FSRS has
no notion of a score, so its expected score is that same probability. States are computed by fsrs_law, whose
equations the tests check against the package's Scheduler. The Optimizer needs the package's `optimizer` extra
(torch); without it, optimize=True raises.
"""

from __future__ import annotations

import importlib
from datetime import timezone

import numpy as np
import pandas as pd
from fsrs import Rating, ReviewLog

from analytics.estimators import fsrs_law
from analytics.estimators import memory_features as mf
from analytics.settings import PASS_MARK


def optimizer_available() -> bool:
    """Whether the fsrs package's Optimizer (torch) can be imported here."""
    try:
        _optimizer_class()
    except ImportError:
        return False
    return True


def _optimizer_class():
    """The package's Optimizer, loaded on demand: torch is an optional extra (requirements-optimizer.txt)."""
    importlib.import_module("torch")
    return importlib.import_module("fsrs.optimizer").Optimizer


class FSRSReference:
    """FSRS-6 with default or optimized parameters; fit() learns parameters_ and is_optimized_."""

    def __init__(self, optimize: bool = False, pass_mark: float = PASS_MARK):
        self.optimize = optimize
        self.pass_mark = pass_mark

    @property
    def name(self) -> str:
        return "fsrs6_optimized" if self.optimize else "fsrs6_default"

    def fit(self, history: pd.DataFrame) -> FSRSReference:
        """Default parameters, or the package Optimizer's fitted on these attempts (optimize=True)."""
        self.parameters_ = fsrs_law.DEFAULT_PARAMETERS.copy()
        self.is_optimized_ = False
        if self.optimize:
            optimizer = _optimizer_class()
            a = mf.prepare(history, self.pass_mark)
            at = pd.to_datetime(a.frame["attempted_at"]).dt.tz_localize(timezone.utc)
            logs = [ReviewLog(card_id=int(card), rating=Rating(int(rating)), review_datetime=when.to_pydatetime(),
                              review_duration=None)
                    for card, rating, when in zip(a.pair, a.rating, at)]
            self.parameters_ = np.array(optimizer(logs).compute_optimal_parameters(), dtype=float)
            self.is_optimized_ = True
        return self

    def states(self, history: pd.DataFrame, before=None) -> pd.DataFrame:
        """Each pair's FSRS state after its attempts strictly before `before` (default: all)."""
        frame = history if before is None else history[pd.to_datetime(history["attempted_at"]) < pd.Timestamp(before)]
        a = mf.prepare(frame, self.pass_mark)
        return mf.end_state(a, mf.walk(a, self.parameters_))

    def predict_at(self, states: pd.DataFrame, at) -> tuple[np.ndarray, np.ndarray]:
        """Retrievability of each state's next attempt at its own time (as both recall and expected score)."""
        last = pd.to_datetime(states["last_practiced_at"]).reset_index(drop=True)
        gap = ((pd.to_datetime(pd.Series(np.asarray(at))) - last).dt.total_seconds() // 86_400).clip(lower=0)
        S = states["stability"].to_numpy(dtype=float)
        S = np.where(np.isfinite(S), S, self.parameters_[fsrs_law.GOOD - 1])
        R = fsrs_law.retrievability(gap.to_numpy(dtype=float), S, self.parameters_)
        return R, R.copy()
