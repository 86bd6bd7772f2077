"""The activity kind at one million calls: a generated call recorder export of ~200-word transcripts (about ten
speaker turns each) ingested, ingested again unchanged, next to DuckDB's plain read_csv of the same file.

Each step runs in a fresh process and reports its wall time, CPU seconds (user + system: what a busy machine cannot
inflate) and peak memory (max RSS). Tracking (message mentions, run by the upload) is left out unless --track: its own
benchmark measures it. Files go to --out (default /tmp/huddle_bench_activity), never into the repository.
Run: nice python benchmarks/bench_activity.py [--rows 1000000] [--out DIR] [--track] [--steps generate,read_csv,...]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
N_REPS = 200
N_DEALS = 20_000
WORDS = ("we our team pricing value security rollout dashboard report weekly pipeline renewal budget quarter "
         "integration onboarding support contract timeline champion decision risk data forecast adoption training "
         "message proof customer partner workflow manual hours days faster cheaper simpler trust audit compliance "
         "growth market launch plan next steps follow demo trial pilot approval legal procurement").split()


def generate(out: Path, n_rows: int) -> None:
    """Roster, a HubSpot deals export and the call export: turns drawn from 5,000 generated sentences."""
    rng = np.random.default_rng(7)
    reps = [(f"Rep{i:03d} Person{i:03d}", f"rep{i:03d}@acme.example") for i in range(N_REPS)]
    with (out / "roster.csv").open("w") as fh:
        fh.write("Name,Email,Team\n")
        fh.writelines(f"{n},{e},Team {i % 10}\n" for i, (n, e) in enumerate(reps))
    with (out / "deals.csv").open("w") as fh:
        fh.write("Record ID,Deal Name,Deal Stage,Close Date,Deal owner,Amount,Create Date\n")
        fh.writelines(f"{100000 + i},Deal {i},closedwon,2026-04-01,{reps[i % N_REPS][0]},1000,2026-01-01\n"
                      for i in range(N_DEALS))
    sentences = [" ".join(rng.choice(WORDS, size=int(rng.integers(14, 26)))).capitalize() + "."
                 for _ in range(5_000)]
    prospects = [f"Buyer{i:04d} Client" for i in range(2_000)]
    with (out / "calls.csv").open("w", buffering=1 << 22) as fh:
        fh.write("Call ID,Call Date,Rep Email,Title,Opportunity ID,Duration,Transcript\n")
        chunk = 100_000
        for start in range(0, n_rows, chunk):
            n = min(chunk, n_rows - start)
            rep = rng.integers(0, N_REPS, n)
            deal = rng.integers(0, N_DEALS, n)
            minute = rng.integers(0, 525_600, n)
            prospect = rng.integers(0, len(prospects), n)
            said = rng.integers(0, len(sentences), (n, 10))
            lines = []
            for j in range(n):
                rname = reps[rep[j]][0]
                pname = prospects[prospect[j]]
                body = "\n".join(f"{rname if k % 2 == 0 else pname}: {sentences[s]}" for k, s in enumerate(said[j]))
                m = int(minute[j])
                lines.append(f"c{start + j},2025-{1 + m // 43800 % 12:02d}-{1 + m // 1440 % 28:02d} "
                             f"{m // 60 % 24:02d}:{m % 60:02d},{reps[rep[j]][1]},Call {start + j},"
                             f"{100000 + deal[j]},{300 + m % 3000},\"{body}\"\n")
            fh.writelines(lines)


def step(name: str, out: Path, track: bool) -> dict:
    """One step in this process; returns its own seconds and counts."""
    os.environ.setdefault("HUDDLE_MAX_UPLOAD_MB", "8192")
    t0 = time.perf_counter()
    info: dict = {}
    if name == "generate":
        generate(out, int(os.environ["BENCH_ROWS"]))
        info["file_mb"] = round((out / "calls.csv").stat().st_size / (1 << 20))
    elif name == "read_csv":
        import duckdb
        con = duckdb.connect(str(out / "plain.duckdb"))
        con.execute("CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv($p)", {"p": str(out / "calls.csv")})
        info["rows"] = con.execute("SELECT count(*) FROM t").fetchone()[0]
        con.close()
        (out / "plain.duckdb").unlink()
    else:
        from analytics import db
        from analytics.ingest.kinds import KINDS, Kind
        from analytics.ingest.load import ingest_file
        if not track:
            KINDS["activity"].after_load = Kind.after_load.__get__(KINDS["activity"])
        con = db.connect(out / "huddle.duckdb")
        if name == "setup":
            for kind, f in (("reps", "roster.csv"), ("crm", "deals.csv")):
                ingest_file(con, kind, out / f)
        else:          # ingest, reingest
            r = ingest_file(con, "activity", out / "calls.csv")
            info.update(inserted=r.rows_inserted, unchanged=r.rows_unchanged, rejected=r.rows_rejected)
            info.update(dict(zip(("activities", "with_deal", "turns"), con.execute(
                "SELECT count(*), count(opportunity_id), (SELECT count(*) FROM activity_turns) FROM activities"
            ).fetchone())))
        con.close()
    info["seconds"] = round(time.perf_counter() - t0, 1)
    return info


def run(name: str, a) -> dict:
    """The step in a fresh process: wall and CPU seconds and peak RSS of that process."""
    env = {**os.environ, "BENCH_ROWS": str(a.rows)}
    cmd = [sys.executable, __file__, "--step", name, "--out", str(a.out)] + (["--track"] if a.track else [])
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    if proc.returncode:
        raise SystemExit(f"step {name} failed:\n{proc.stderr[-3000:]}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out.update(process_seconds=round(time.perf_counter() - t0, 1), load=f"{os.getloadavg()[0]:.1f}")
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--out", default="/tmp/huddle_bench_activity")
    p.add_argument("--track", action="store_true", help="also score message mentions during the upload")
    p.add_argument("--steps", default="generate,read_csv,setup,ingest,reingest")
    p.add_argument("--step", help=argparse.SUPPRESS)
    a = p.parse_args()
    a.out = Path(a.out)
    a.out.mkdir(parents=True, exist_ok=True)
    if a.step:
        info = step(a.step, a.out, a.track)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        info.update(cpu_seconds=round(usage.ru_utime + usage.ru_stime, 1), peak_mb=round(usage.ru_maxrss / 1024))
        print(json.dumps(info))
        return
    if "setup" in a.steps:
        for f in a.out.glob("huddle.duckdb*"):
            shutil.rmtree(f) if f.is_dir() else f.unlink()
    print(f"{a.rows:,} calls, tracking {'on' if a.track else 'off'}, {os.cpu_count()} cores, files in {a.out}")
    for name in a.steps.split(","):
        r = run(name, a)
        print(f"{name:>9}: " + ", ".join(f"{k} {v}" for k, v in r.items()), flush=True)


if __name__ == "__main__":
    main()
