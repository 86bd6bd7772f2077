"""The forgetting model's inputs and fit: graded attempts, their practice history and pair states, the evaluation.

Practice history (sql/queries/practice_history.sql): each graded attempt with features built only from strictly
earlier attempts. A pair's state on a date holds its attempts before that date. The law itself is
analytics.estimators.half_life.HalfLifeRegression; `evaluate` is its time-ordered evaluation, always shown with it:
fitted on attempts before a cutoff, it predicts each pair's first later attempt, against the pair's last score and
the overall mean score as baselines (MAE and calibration).
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd

from analytics.db import sql
from analytics.estimators.half_life import HalfLifeRegression, calibration_table, default_cutoff
from analytics.settings import PASS_MARK

STATE_COLUMNS = ["rep_id", "message_id", "n_prior_attempts", "n_prior_successes", "n_prior_failures", "last_score",
                 "last_practiced_at", "days_between_prior_practices", "rep_n_prior_attempts", "rep_score_sum_prior"]


def load_attempts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Graded quiz attempts of known reps and messages, oldest first."""
    return con.execute(sql("marts/fct_retention_attempts.sql")).df()


def practice_history(attempts: pd.DataFrame | duckdb.DuckDBPyConnection,
                     pass_mark: float = PASS_MARK) -> pd.DataFrame:
    """Each graded attempt with its features from strictly earlier attempts (sql/queries/practice_history.sql)."""
    query = sql("queries/practice_history.sql")
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
    return con.execute(sql("queries/practice_states.sql"), {"pass_mark": pass_mark}).df()


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


def fit(attempts: pd.DataFrame, pass_mark: float = PASS_MARK) -> HalfLifeRegression:
    """Fit the forgetting law on graded attempts (rep_id, message_id, attempted_at, score)."""
    return HalfLifeRegression(pass_mark).fit(practice_history(attempts, pass_mark))


def evaluate(attempts: pd.DataFrame | duckdb.DuckDBPyConnection, cutoff=None,
             pass_mark: float = PASS_MARK) -> dict:
    """Fit before the cutoff, predict each pair's first later attempt; MAE and calibration against two baselines."""
    attempts = _attempt_frame(_attempts(attempts))
    attempts = attempts[attempts["score"].notna() & attempts["rep_id"].notna() & attempts["message_id"].notna()
                        & attempts["attempted_at"].notna()]
    cutoff = default_cutoff(attempts) if cutoff is None else pd.Timestamp(cutoff)
    train = attempts[attempts["attempted_at"] < cutoff]
    history = practice_history(train, pass_mark)
    model = HalfLifeRegression(pass_mark).fit(history)
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
