"""Time the retention model on ~200,000 synthetic quiz attempts: features, fit, evaluation and forecast."""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import analytics.db
from analytics.views import forgetting, practice

START = pd.Timestamp("2025-01-01")


def synthetic_attempts(n_reps: int = 2000, n_messages: int = 10, attempts_per_pair: int = 10,
                       seed: int = 0) -> pd.DataFrame:
    """Attempts under a planted law (h = 5 days x 2^successes x message and rep factors), vectorized over pairs."""
    rng = np.random.default_rng(seed)
    n_pairs = n_reps * n_messages
    rep = np.repeat(np.arange(n_reps), n_messages)
    msg = np.tile(np.arange(n_messages), n_reps)
    factor = np.exp(rng.normal(0, 0.3, n_messages))[msg] * np.exp(rng.normal(0, 0.2, n_reps))[rep]
    day = rng.uniform(0, 300, n_pairs)
    successes = np.zeros(n_pairs)
    last = np.full(n_pairs, np.nan)
    columns = {"rep": [], "msg": [], "day": [], "score": []}
    for k in range(attempts_per_pair):
        p = np.where(np.isnan(last), 0.85,
                     0.3 + 0.7 * 2.0 ** (-(day - last) / (5.0 * factor * 2.0 ** successes)))
        score = rng.binomial(20, np.clip(p, 0, 1)) / 20
        for name, values in (("rep", rep), ("msg", msg), ("day", day), ("score", score)):
            columns[name].append(values)
        successes += score >= 0.8
        last = day
        day = day + np.exp(rng.uniform(np.log(0.5), np.log(90), n_pairs))
    attempts = pd.DataFrame({name: np.concatenate(values) for name, values in columns.items()})
    attempts = attempts.sort_values("day", kind="stable", ignore_index=True)
    return pd.DataFrame({
        "attempt_id": [f"A{i:07d}" for i in range(len(attempts))],
        "rep_id": "R" + attempts["rep"].astype(str).str.zfill(5),
        "message_id": "M" + attempts["msg"].astype(str).str.zfill(2),
        "attempted_at": START + pd.to_timedelta(attempts["day"], unit="D"),
        "score": attempts["score"],
        "passed": attempts["score"] >= 0.8,
    })


def timed(label: str, fn):
    started = time.perf_counter()
    value = fn()
    print(f"{label:<44} {time.perf_counter() - started:8.2f} s")
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=2000)
    parser.add_argument("--messages", type=int, default=10)
    parser.add_argument("--attempts-per-pair", type=int, default=10)
    args = parser.parse_args()

    attempts = timed("generate attempts", lambda: synthetic_attempts(args.reps, args.messages,
                                                                     args.attempts_per_pair))
    print(f"attempts: {len(attempts):,}  reps: {args.reps:,}  messages: {args.messages}")
    model = timed("fit", lambda: practice.fit(attempts))
    print("fitted:", model.variant_, {k: round(v, 4) for k, v in model.validation_.items()})
    result = timed("evaluate (fit on first 80 %, predict rest)", lambda: practice.evaluate(attempts))
    print(f"n_test {result['n_test']:,}  MAE model {result['mae_model']:.4f}  "
          f"last score {result['mae_last_score']:.4f}  mean score {result['mae_mean_score']:.4f}")

    con = analytics.db.connect(":memory:")
    reps = pd.DataFrame({"rep_id": sorted(attempts["rep_id"].unique())})
    messages = pd.DataFrame({"message_id": sorted(attempts["message_id"].unique())})
    con.register("new_reps", reps)
    con.register("new_messages", messages)
    con.register("new_attempts", attempts)
    con.execute("INSERT INTO reps (rep_id, rep_name, rep_email, team) "
                "SELECT rep_id, 'Rep ' || rep_id, lower(rep_id) || '@example.com', 'Team' FROM new_reps")
    con.execute("INSERT INTO messages (message_id, message_name) SELECT message_id, message_id FROM new_messages")
    con.execute("INSERT INTO quiz_attempts (attempt_id, rep_id, message_id, attempted_at, score, passed) "
                "SELECT attempt_id, rep_id, message_id, attempted_at, score, passed FROM new_attempts")
    last_day = attempts["attempted_at"].max().normalize()
    dates = [last_day.date(), (last_day + pd.Timedelta(days=30)).date()]
    out = timed("forecast, 2 dates (load + features + fit)", lambda: forgetting.forecast(con, dates))
    print(f"forecast rows: {len(out):,}  attempts: {len(attempts):,}")
    timed("forecast, 2 dates, model given", lambda: forgetting.forecast(con, dates, model=model))


if __name__ == "__main__":
    main()
