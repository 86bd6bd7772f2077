"""The memory model's inputs, fit and time-ordered evaluation: graded attempts in, a fitted MemoryModel out.

Graded attempts come from sql/marts/fct_retention_attempts.sql. The model is
analytics.estimators.memory.MemoryModel (every feature of an attempt from strictly earlier attempts); `evaluate` is
its time-ordered evaluation, always shown with it (analytics.estimators.memory_eval): every predictor is fitted on
the attempts before a cutoff and forecasts each pair's first later-day attempt -- the memory model, FSRS-6 with its
published parameters, repeating the last outcome, and the mean -- scored by log loss, AUC, MAE and calibration.
FSRS-6's optimizer (torch, a 25-95 s fit) is left to benchmarks/bench_memory.py: pages and the command line skip it.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from analytics.db import sql
from analytics.estimators import memory_eval
from analytics.estimators.memory import MIN_REPEAT_ATTEMPTS, MemoryModel, NotEnoughHistory, n_repeat_attempts
from analytics.settings import PASS_MARK

def load_attempts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Graded quiz attempts of known reps and messages, oldest first."""
    return con.execute(sql("marts/fct_retention_attempts.sql")).df()


def _attempts(source) -> pd.DataFrame:
    return load_attempts(source) if isinstance(source, duckdb.DuckDBPyConnection) else source


def _require_history(attempts: pd.DataFrame) -> None:
    found = n_repeat_attempts(attempts)
    if found < MIN_REPEAT_ATTEMPTS:
        raise NotEnoughHistory(f"{found} repeat attempts; at least {MIN_REPEAT_ATTEMPTS} are needed")


def fit(attempts: pd.DataFrame, pass_mark: float = PASS_MARK) -> MemoryModel:
    """The memory model fitted on graded attempts (rep_id, message_id, attempted_at, score; attempt_id for ties).

    Raises NotEnoughHistory below MIN_REPEAT_ATTEMPTS repeat attempts.
    """
    _require_history(attempts)
    return MemoryModel(pass_mark=pass_mark).fit(attempts)


def evaluate(attempts: pd.DataFrame | duckdb.DuckDBPyConnection, cutoff=None, pass_mark: float = PASS_MARK) -> dict:
    """Fit before the cutoff (default: when 80 % of attempts had happened), forecast each pair's first later-day
    attempt; metrics of the memory model, FSRS-6 (published parameters), the last outcome and the mean.

    Keys: cutoff, n_train, n_test, metrics (one row per predictor: log_loss, auc, mae, ...), calibration (forecast
    chance of passing vs pass rate), score_calibration (expected vs observed score), by_last_outcome, model (the
    memory model fitted on the training part), and mae_model / mae_last_score / mae_mean_score (the metrics' MAE of
    the memory model, the last score and the mean score).
    """
    attempts = _attempts(attempts)
    _require_history(attempts)
    out = memory_eval.evaluate(attempts, cutoff, pass_mark, optimize_fsrs=False,
                               model=MemoryModel(pass_mark=pass_mark))
    mae = out["metrics"].set_index("predictor")["mae"]
    model = out.pop("models")["memory"]
    return {**out, "model": model, "mae_model": float(mae["memory"]), "mae_last_score": float(mae["last_outcome"]),
            "mae_mean_score": float(mae["mean"])}
