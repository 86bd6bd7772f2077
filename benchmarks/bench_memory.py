"""Memory forecasts against FSRS-6: time-ordered log loss on three worlds, side by side, and fit speed at scale.

Worlds: the demo company (analytics.demo, ingested through the real parsers), a generated LMS whose memory follows
FSRS-6's law with planted parameters (analytics.estimators.fsrs_world), and a real review log given with --revlog.
A real log used while building this: py-fsrs's test review log, tests/review_logs_josh_1711744352250_to_1728234780857
.csv in github.com/open-spaced-repetition/py-fsrs (MIT License, (c) 2022 Open Spaced Repetition): one learner's 12,580
Anki reviews of 1,205 cards, March to October 2024. It is not shipped here; pass its path. Its columns card_id,
review_rating (1-4), review_time (ISO) become an LMS-style export: one rep, one message per card, scores Again 0,
Hard = pass mark, Good 0.9, Easy 1 (fsrs_law's rating rule maps them back exactly). Anki revlogs with review_time in
epoch milliseconds (fsrs-rs's CSV layout) are read too.
Speed cases: 10,000 attempts over 700 modules, and 200,000 attempts over 50 modules: fit, then states and a forecast
on two dates, timed with perf_counter (wall) and process_time (CPU: what other work on a busy machine cannot inflate).
Run: python benchmarks/bench_memory.py [--revlog PATH] [--cutoffs 0.7,0.8] [--no-optimizer] [--skip-speed]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import pandas as pd

from analytics.estimators import memory_features as mf
from analytics.estimators.memory import MemoryModel
from analytics.estimators.memory_eval import evaluate
from analytics.settings import PASS_MARK
from analytics.estimators.fsrs_world import fsrs_world

RATING_SCORES = {1: 0.0, 2: PASS_MARK, 3: 0.9, 4: 1.0}


def revlog_attempts(path: Path) -> pd.DataFrame:
    """An Anki/FSRS review log as LMS-style attempts: one rep, a message per card, scores by rating."""
    log = pd.read_csv(path)
    raw = log["review_time"]
    when = (pd.to_datetime(raw, unit="ms", utc=True) if pd.api.types.is_numeric_dtype(raw)
            else pd.to_datetime(raw, format="ISO8601", utc=True))
    log = log[log["review_rating"].isin(RATING_SCORES)]
    return pd.DataFrame({
        "attempt_id": [f"L{i:08d}" for i in range(len(log))],
        "rep_id": "learner", "message_id": "card-" + log["card_id"].astype(str),
        "attempted_at": when[log.index].dt.tz_convert(None).to_numpy(),
        "score": log["review_rating"].map(RATING_SCORES).to_numpy(dtype=float),
    })


def demo_attempts() -> pd.DataFrame:
    """The demo company's graded quiz attempts, generated and ingested as the app does."""
    from analytics import db, retention
    from analytics.demo_load import build_demo
    with tempfile.TemporaryDirectory() as tmp:
        build_demo(Path(tmp) / "csv", Path(tmp) / "demo.duckdb")
        con = db.connect(Path(tmp) / "demo.duckdb", read_only=True)
        try:
            return retention.load_attempts(con)
        finally:
            con.close()


def side_by_side(name: str, attempts: pd.DataFrame, cutoff_shares: list[float], optimize: bool) -> None:
    times = mf.prepare(attempts, PASS_MARK).frame["attempted_at"].sort_values().to_numpy()
    for share in cutoff_shares:
        cutoff = pd.Timestamp(times[int(share * (len(times) - 1))])
        started = time.perf_counter()
        result = evaluate(attempts, cutoff, optimize_fsrs=optimize)
        model = result["models"]["memory"]
        print(f"\n== {name}: cutoff {cutoff:%Y-%m-%d %H:%M} ({share:.0%} of attempts), train {result['n_train']:,}, "
              f"test pairs {result['n_test']:,}, evaluated in {time.perf_counter() - started:.1f} s; "
              f"memory variant {model.variant_}")
        print(result["metrics"].round(4).to_string(index=False))
        lapses = result["by_last_outcome"]
        print(lapses[lapses["last_outcome"] == "failed"].round(3).to_string(index=False))


def speed_case(n_attempts: int, n_messages: int, attempts_per_pair: float) -> None:
    """Fit and forecast on n_attempts of an FSRS-law world with n_messages modules (whole pairs, rep by rep)."""
    n_reps = max(1, round(1.6 * n_attempts / (n_messages * attempts_per_pair)))
    world = fsrs_world(n_reps=n_reps, n_messages=n_messages, seed=3, max_attempts=40)
    attempts = world.sort_values(["rep_id", "message_id"], kind="stable").iloc[:n_attempts] \
        .sort_values("attempted_at", kind="stable")
    started, cpu = time.perf_counter(), time.process_time()
    model = MemoryModel().fit(attempts)
    fitted = time.perf_counter()
    states = model.states(attempts)
    last = attempts["attempted_at"].max().normalize()
    out = model.predict(states, [last, last + pd.Timedelta(days=30)])
    done = time.perf_counter()
    print(f"{len(attempts):>8,} attempts, {attempts['message_id'].nunique():>4} modules, "
          f"{attempts['rep_id'].nunique():>5} reps: fit {fitted - started:6.2f} s, states + forecast of "
          f"{len(out):,} rows {done - fitted:5.2f} s, total {done - started:6.2f} s wall, "
          f"{time.process_time() - cpu:6.2f} s CPU (variant {model.variant_})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--revlog", type=Path, help="Anki/FSRS review log CSV (card_id, review_rating, review_time)")
    parser.add_argument("--cutoffs", default="0.8", help="cutoff shares of attempts, comma-separated")
    parser.add_argument("--no-optimizer", action="store_true", help="skip FSRS-6 optimized (slow: torch)")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-demo", action="store_true")
    args = parser.parse_args()
    shares = [float(s) for s in args.cutoffs.split(",")]
    optimize = None if not args.no_optimizer else False
    if not args.skip_demo:
        side_by_side("demo company", demo_attempts(), shares, optimize)
    side_by_side("FSRS-6-law world (planted parameters)", fsrs_world(n_reps=60, n_messages=20, seed=0), shares,
                 optimize)
    if args.revlog:
        side_by_side(f"real review log {args.revlog.name}", revlog_attempts(args.revlog), shares, optimize)
    if not args.skip_speed:
        print("\n== speed")
        speed_case(10_000, 700, 7.5)
        speed_case(200_000, 50, 7.5)


if __name__ == "__main__":
    main()
