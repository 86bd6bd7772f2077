"""Where the CPU seconds of one ingest go: every statement timed, summed per group, the rest is Python.

    nice .venv/bin/python benchmarks/bench_ingest_profile.py --reps 5000 [--out benchmarks/out]

Uses the one-million-row export `run_all.py --ingest-only` generates (OUT/world_REPS_sf_all) and its later
overlapping export (OUT/scratch_REPS/salesforce_later_1m.csv, written if missing): a fresh database with the roster,
then the first ingest and the later export, each statement's process CPU time (both threads) summed per group.
Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# Statement groups, first match wins: (label, test on the statement's text).
GROUPS = (
    ("read_csv into raw_rows", lambda q: q.startswith("CREATE TEMP TABLE raw_rows")),
    ("staging pass", lambda q: q.startswith("CREATE TEMP TABLE staged")),
    ("write the versions", lambda q: q.startswith("INSERT INTO") and "_versions (upload_id" in q[:60]),
    ("write the current table", lambda q: q.startswith(("INSERT INTO opportunities BY NAME",
                                                        "DELETE FROM opportunities WHERE"))),
    ("counts, twins, rejects, change sample", lambda q: any(s in q for s in (
        "FILTER (WHERE action", "new_rejects", "UPDATE staged", "DELETE FROM staged", "FROM staged WHERE action",
        "lower(account_name), lower(opportunity_name)"))),
    ("format guesses and lookups", lambda q: any(s in q for s in (
        "lookup_", "regexp_matches(val", "bool_or(CASE WHEN strlen", "approx_count_distinct", "stage_map",
        "SELECT DISTINCT nullif(trim(", "unnest($words)", "contains(c5, '-')"))),
    ("reader passes", lambda q: "raw_rows" in q or "raw_rejects" in q),
    ("commit", lambda q: q.startswith(("COMMIT", "CHECKPOINT"))),
)


class Timed:
    """The connection with each execute's process CPU seconds recorded by statement group."""

    def __init__(self, con):
        self._con, self.cpu = con, {}

    def __getattr__(self, name):
        return getattr(self._con, name)

    def _run(self, fn, q, *args, **kwargs):
        c0 = time.process_time()
        result = fn(q, *args, **kwargs)
        text = " ".join(str(q).split())
        group = next((label for label, test in GROUPS if test(text)), "rebuild: people, messages, other statements")
        self.cpu[group] = self.cpu.get(group, 0.0) + time.process_time() - c0
        return self if result is self._con else result

    def execute(self, q, *args, **kwargs):
        return self._run(self._con.execute, q, *args, **kwargs)

    def executemany(self, q, *args, **kwargs):
        return self._run(self._con.executemany, q, *args, **kwargs)


def profile(database: Path, path: Path) -> dict[str, float]:
    """One ingest of `path` into `database`: CPU seconds per group, Python, the total and the close."""
    from analytics import db
    from analytics.ingest.load import ingest_file
    con = Timed(db.connect(database))
    c0 = time.process_time()
    ingest_file(con, "crm", path, uploaded_by="bench")
    out = dict(con.cpu)
    out["Python (sniffing, inference, the rest)"] = time.process_time() - c0 - sum(con.cpu.values())
    out["total (the ingest call)"] = time.process_time() - c0
    c1 = time.process_time()
    con.close()
    out["close (checkpoint)"] = time.process_time() - c1
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=5000)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "out"))
    a = p.parse_args()
    from run_all import _later_export, paths, SF
    a = paths(a)
    if not (a.world_all / SF).exists():
        raise SystemExit(f"no export at {a.world_all / SF}: run benchmarks/run_all.py --ingest-only first")
    database = a.scratch / "profile.duckdb"
    for f in a.scratch.glob("profile.duckdb*"):
        f.unlink()
    from analytics import db
    from analytics.ingest.load import ingest_file
    con = db.connect(database)
    ingest_file(con, "reps", a.world_all / "roster.csv", uploaded_by="bench")
    con.close()
    load = os.getloadavg()[0]
    first = profile(database, a.world_all / SF)
    later = profile(database, _later_export(a.world_all / SF, a.scratch / "salesforce_later_1m.csv"))
    print(f"{a.reps} reps; load average {load:.1f} before, {os.getloadavg()[0]:.1f} after\n")
    print("| CPU s | first ingest | later export |\n|---|---:|---:|")
    tail = ("Python (sniffing, inference, the rest)", "total (the ingest call)", "close (checkpoint)")
    for label in sorted({*first, *later} - set(tail), key=lambda k: -first.get(k, 0)) + list(tail):
        print(f"| {label} | {first.get(label, 0):.2f} | {later.get(label, 0):.2f} |")


if __name__ == "__main__":
    main()
