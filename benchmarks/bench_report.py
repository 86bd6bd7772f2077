"""Time the full message report on a synthetic company: 5,000 reps, ~1,000,000 deals, 4 messages, ~200,000 attempts.

Run: .venv/bin/python benchmarks/bench_report.py [--reps 5000] [--deals 1000000] [--db PATH]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analytics import db  # noqa: E402
from analytics.estimators.lift import N_BOOT  # noqa: E402
from analytics.views import report  # noqa: E402

START = pd.Timestamp("2024-01-01")
DAYS = 730
SEGMENTS = np.array(["SMB", "Mid-Market", "Enterprise"])
MESSAGES = [("m1", "Message one", 120, None, 0.06), ("m2", "Message two", 240, "Enterprise", 0.03),
            ("m3", "Message three", 400, None, -0.04), ("m4", "Message four", 560, None, 0.0)]
NOTES = ["Buyer loved the {x} angle.", "Too long for a first call.", "Prospects confused about {x}.",
         "Pricing claims challenged by procurement.", "Good opener for discovery calls.", "Demo was slow."]


def build(con, n_reps: int, n_deals: int, n_attempts: int, n_feedback: int, seed: int = 0) -> None:
    """Fill the current tables with a vectorized synthetic company (planted effects, ability-driven adoption)."""
    rng = np.random.default_rng(seed)
    rep_ids = np.char.add("r", np.arange(n_reps).astype(str))
    ability = rng.normal(0, 0.08, n_reps)
    reps = pd.DataFrame({"rep_id": rep_ids, "rep_name": np.char.add("Rep ", rep_ids),
                         "team": np.char.add("team", (np.arange(n_reps) % 20).astype(str)),
                         "region": np.array(["NA", "EMEA", "APAC"])[np.arange(n_reps) % 3],
                         "manager": np.char.add("mgr", (np.arange(n_reps) % 20).astype(str)), "in_roster": True})
    messages = pd.DataFrame([{"message_id": m, "message_name": name, "launch_date": (START + pd.Timedelta(days=d)).date(),
                              "target_segment": seg, "in_catalog": True} for m, name, d, seg, _ in MESSAGES])
    # certification day per rep x message: able reps certify sooner; some never
    passes_per_rep = max(1, round(n_attempts / (1.4 * n_reps * len(MESSAGES))))  # ~70 % certify
    cert = np.full((n_reps, len(MESSAGES)), np.inf)
    attempt_frames = []
    for k, (mid, _, launch, _, _) in enumerate(MESSAGES):
        certifies = rng.random(n_reps) < 1 / (1 + np.exp(-(1 + 12 * ability)))
        day = launch + np.floor(rng.exponential(40 * np.exp(-6 * ability))).astype(int)
        cert[certifies, k] = day[certifies]
        idx = np.repeat(np.flatnonzero(certifies), 2 * passes_per_rep)
        offs = np.tile(np.arange(2 * passes_per_rep), certifies.sum())
        at_day = cert[idx, k] + np.where(offs == 0, -2, 5 * (offs - 1))  # one failure, then passes
        attempt_frames.append(pd.DataFrame({
            "attempt_id": np.char.add(f"{mid}-", np.arange(len(idx)).astype(str)), "rep_id": rep_ids[idx],
            "message_id": mid, "attempted_at": START + pd.to_timedelta(at_day, unit="D") + pd.Timedelta(hours=9),
            "score": np.where(offs == 0, 0.6, 0.9), "passed": offs != 0}))
    attempts = pd.concat(attempt_frames, ignore_index=True)

    r = rng.integers(0, n_reps, n_deals)
    day = rng.integers(0, DAYS, n_deals)
    seg = rng.choice(3, n_deals, p=[0.45, 0.33, 0.22])
    amount = np.round(np.array([9e3, 32e3, 140e3])[seg] * np.exp(0.55 * rng.standard_normal(n_deals)), -1)
    is_open = day > DAYS - 40
    p = 0.40 - 0.05 * seg + ability[r] + 0.04 * day / DAYS
    for k, (_, _, launch, target, effect) in enumerate(MESSAGES):
        in_scope = (day >= launch) & ((SEGMENTS[seg] == target) if target else True)
        p += effect * (in_scope & (cert[r, k] <= day))
    won = rng.random(n_deals) < np.clip(p, 0.02, 0.98)
    outcome = np.where(is_open, "open", np.where(won, "won", "lost"))
    opportunities = pd.DataFrame({
        "opportunity_id": np.char.add("o", np.arange(n_deals).astype(str)), "rep_id": rep_ids[r],
        "owner_name": np.char.add("Rep ", rep_ids[r]), "outcome": outcome, "is_closed": ~is_open,
        "is_won": outcome == "won", "amount": amount,
        "created_date": (START + pd.to_timedelta(np.maximum(day - 60, 0), unit="D")).date,
        "close_date": (START + pd.to_timedelta(day, unit="D")).date, "segment": SEGMENTS[seg],
        "deal_type": np.where(rng.random(n_deals) < 0.35, "Existing Business", "New Business")})
    f_rep = rng.integers(0, n_reps, n_feedback)
    words = np.array(["security", "pricing", "migration", "calculator", "copilot"])
    notes = np.array(NOTES, dtype=object)[rng.integers(0, len(NOTES), n_feedback)]
    feedback = pd.DataFrame({
        "feedback_id": np.char.add("f", np.arange(n_feedback).astype(str)), "rep_id": rep_ids[f_rep],
        "message_id": np.array([m[0] for m in MESSAGES])[rng.integers(0, len(MESSAGES), n_feedback)],
        "feedback_date": (START + pd.to_timedelta(rng.integers(120, DAYS, n_feedback), unit="D")).date,
        "rating": rng.integers(1, 6, n_feedback).astype(float),
        "notes": [n.format(x=w) for n, w in zip(notes, words[rng.integers(0, len(words), n_feedback)])]})
    for table, frame in (("reps", reps), ("messages", messages), ("quiz_attempts", attempts),
                         ("opportunities", opportunities), ("feedback", feedback)):
        con.register("incoming", frame)
        con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
        con.unregister("incoming")


def main(argv: list[str] | None = None) -> int:
    """Build (or reuse) the synthetic database, then time build_report and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=5000)
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--attempts", type=int, default=200_000)
    parser.add_argument("--feedback", type=int, default=20_000)
    parser.add_argument("--boot", type=int, default=N_BOOT)
    parser.add_argument("--db", help="database file to build (default: a temporary file, removed afterwards)")
    args = parser.parse_args(argv)
    tmp = None
    path = args.db
    if path is None:
        tmp = tempfile.mkdtemp(prefix="huddle-bench-")
        path = os.path.join(tmp, "bench.duckdb")
    con = db.connect(path)
    if con.execute("SELECT count(*) FROM opportunities").fetchall()[0][0] == 0:
        t = time.perf_counter()
        build(con, args.reps, args.deals, args.attempts, args.feedback)
        con.execute("CHECKPOINT")
        print(f"built synthetic database in {time.perf_counter() - t:.1f} s")
    n = con.execute("SELECT count(*), count(*) FILTER (WHERE outcome IN ('won', 'lost')) FROM opportunities"
                    ).fetchall()[0]
    reps = con.execute("SELECT count(*) FROM reps").fetchall()[0][0]
    attempts = con.execute("SELECT count(*) FROM quiz_attempts").fetchall()[0][0]
    print(f"data: {n[0]:,} opportunities ({n[1]:,} closed), {reps:,} reps, {attempts:,} quiz attempts")
    t = time.perf_counter()
    out = report.build_report(con, as_of=date(2026, 1, 1), n_boot=args.boot)
    elapsed = time.perf_counter() - t
    print(f"build_report: {elapsed:.1f} s ({args.boot} bootstrap replicates, {os.cpu_count()} cores)")
    for m in out["messages"]:
        print(f"  {m['message']:<14} adopted {m['closed_deals_adopted']:>8,}  naive {m['naive_lift_pp']:+6.2f}  "
              f"adjusted {m['adjusted_lift_pp']:+6.2f} [{m['ci_low_pp']:+.2f}, {m['ci_high_pp']:+.2f}]  "
              f"{m['evidence']}")
    print("  planted: " + ", ".join(f"{name} {100 * e:+.0f}" for _, name, _, _, e in MESSAGES))
    con.close()
    if tmp:
        for f in Path(tmp).iterdir():
            f.unlink()
        os.rmdir(tmp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
