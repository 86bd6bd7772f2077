"""A large browser upload next to another session: upload time, progress reports, and the other session's latency.

    .venv/bin/python benchmarks/bench_upload_jobs.py [--reps 1500]

Generates a seeded company with every region's deals in the Salesforce export, loads the catalog and roster, then
runs the Data page's background UploadJob on that export (preview, then load) while a second thread -- another
session, with its own connection -- reads the What's loaded summary in a loop. Prints the reader's latency before
and during each job, how often the job reported progress, and the job times. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics import db, upload_jobs  # noqa: E402
from analytics.auth import User  # noqa: E402
from analytics.demo import generate  # noqa: E402
from analytics.ingest.load import ingest_file  # noqa: E402
from analytics.ingest.loaded import loaded_summary  # noqa: E402


def reader(path, stop, out):
    con = db.connect(path)
    while not stop.is_set():
        t0 = time.perf_counter()
        loaded_summary(con)
        out.append(time.perf_counter() - t0)
        time.sleep(0.05)
    con.close()


def pct(xs, q):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))] if xs else float("nan")


def run(path, spec, dry_run, user):
    stop, lat = threading.Event(), []
    t = threading.Thread(target=reader, args=(path, stop, lat))
    t.start()
    time.sleep(2.0)
    n_before = len(lat)
    job = upload_jobs.UploadJob(path, [spec], dry_run=dry_run, user=user).start()
    samples = []
    while not job.done:
        samples.append(job.progress())
        time.sleep(0.5)
    stop.set()
    t.join()
    before, during = lat[:n_before], lat[n_before:]
    out = job.outcomes[0]
    return {"job": "preview (dry run)" if dry_run else "load", "seconds": round(job.elapsed, 1),
            "rows": out.result.rows_read if out.result else out.error,
            "progress_reports": len(samples), "distinct_progress_values": len(set(samples)),
            "reader_queries_during": len(during),
            "reader_ms_before_p50": round(1000 * statistics.median(before), 1),
            "reader_ms_during_p50": round(1000 * statistics.median(during), 1) if during else None,
            "reader_ms_during_p95": round(1000 * pct(during, 0.95), 1) if during else None,
            "reader_ms_during_max": round(1000 * max(during), 1) if during else None}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--reps", type=int, default=1500)
    a = p.parse_args()
    with tempfile.TemporaryDirectory(prefix="huddle-bench-") as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        truth = generate(tmp / "world", seed=7, n_reps=a.reps, salesforce_all_regions=True)
        print(f"generated {truth['files']['salesforce_opportunities.csv']:,} Salesforce rows in "
              f"{time.perf_counter() - t0:.1f} s")
        path = tmp / "huddle.duckdb"
        con = db.connect(path)
        for kind, name in (("messages", "messages.csv"), ("reps", "roster.csv")):
            ingest_file(con, kind, tmp / "world" / name)
        con.close()
        export = tmp / "world" / "salesforce_opportunities.csv"
        spec = upload_jobs.FileSpec.make(export, export.name, "crm")
        user = User("ops@example.com", "ops", "header")
        print(f"file size: {export.stat().st_size / (1 << 20):.1f} MB")
        for dry_run in (True, False):
            print(run(path, spec, dry_run, user))


if __name__ == "__main__":
    main()
