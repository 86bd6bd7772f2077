"""The two stores side by side on one generated world: the local DuckDB file and DuckLake on a throw-away PostgreSQL.

    .venv/bin/python benchmarks/bench_store.py [--reps 5000] [--upload-rows 1000000] [--commits 10] [--json]

Per store: ingest of the world's six exports; the report (python -m analytics report); a page query (the Overview's
win rate in the default period, plus the Loaded page's summary) cold (first run after opening) and warm (median of
five); the p50/p95 of that page query while a large CRM upload runs in another process (on the file, readers wait
for the file lock; --file-upload thread uploads from a thread of the reading process, as the dashboard does), with
the upload's own seconds; commits per second with two writer processes making --commits small uploads each. The lake's
one-off attach (loading both extensions) is printed apart. PostgreSQL comes from Debian's package, started as in
the tests (tests/pg.py). Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from analytics import db, stores  # noqa: E402
from analytics.demo import generate  # noqa: E402
from analytics.demo_load import DEMO_FILES  # noqa: E402
from analytics.filters import Filters, options  # noqa: E402
from analytics.ingest.load import ingest_file  # noqa: E402
from analytics.ingest.loaded import loaded_summary  # noqa: E402
from analytics.metrics.periods import period_of  # noqa: E402
from analytics.views.overview import win_rate_in  # noqa: E402
from analytics.views.report import build_report  # noqa: E402
from pg import Cluster, find_bin_dir  # noqa: E402

WRITER = """
import sys, time
from analytics import stores
from analytics.ingest.load import ingest_file
cfg = stores.resolve()
for path in sys.argv[1:]:
    stores.write(cfg, ingest_file, "crm", path, wait_seconds=600)
"""


def crm(path: Path, prefix: str, n: int) -> Path:
    with path.open("w") as fh:
        fh.write("opportunity_id,sales_agent,deal_stage,close_date,close_value\n")
        for i in range(n):
            fh.write(f"{prefix}{i},Rep {i % 97},{'Won' if i % 3 else 'Lost'},2025-{1 + i % 12:02d}-{1 + i % 28:02d},"
                     f"{i % 5000}\n")
    return path


def page_query(cfg) -> float:
    started = time.perf_counter()
    with stores.reading(cfg, wait_seconds=600) as con:
        lo, hi = options(con)["date_range"]
        filters = Filters(start=lo, end=hi)
        win_rate_in(con, filters, period_of(filters, date.today()))
        loaded_summary(con)
    return time.perf_counter() - started


def env_of(cfg) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HUDDLE_REFRESH": "skip"}
    if cfg.is_lake:
        env.update(HUDDLE_STORE=cfg.spec(), HUDDLE_DATA_PATH=cfg.data_path)
    else:
        env.update(HUDDLE_STORE="", HUDDLE_DB=str(cfg.path))
    return env


def bench(cfg, world: Path, tmp: Path, upload_rows: int, commits: int, in_process: bool) -> dict:
    out: dict = {}
    if cfg.is_lake:
        started = time.perf_counter()
        stores.open_lake(cfg)
        out["attach_s"] = time.perf_counter() - started
    started = time.perf_counter()
    for kind, name in DEMO_FILES:
        stores.write(cfg, ingest_file, kind, world / name)
    out["ingest_s"] = time.perf_counter() - started
    started = time.perf_counter()
    with stores.reading(cfg) as con:
        build_report(con)
    out["report_s"] = time.perf_counter() - started
    out["page_cold_s"] = page_query(cfg)
    out["page_warm_s"] = statistics.median(page_query(cfg) for _ in range(5))

    big = crm(tmp / f"big-{cfg.kind}.csv", "big", upload_rows)
    done = threading.Event()
    upload_s = [0.0]
    if in_process and not cfg.is_lake:
        def upload():
            t0 = time.perf_counter()
            stores.write(cfg, ingest_file, "crm", big)
            upload_s[0] = time.perf_counter() - t0
            done.set()
        threading.Thread(target=upload, daemon=True).start()
    else:
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(big)], env=env_of(cfg), cwd=ROOT)

        def wait_proc():
            t0 = time.perf_counter()
            proc.wait()
            upload_s[0] = time.perf_counter() - t0
            done.set()
        threading.Thread(target=wait_proc, daemon=True).start()
    latencies = []
    while not done.is_set():
        latencies.append(page_query(cfg))
    out["upload_s"] = upload_s[0]
    latencies.sort()
    out["reads_during_upload"] = len(latencies)
    if latencies:
        out["during_p50_s"] = latencies[len(latencies) // 2]
        out["during_p95_s"] = latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))]

    files = [[str(crm(tmp / f"c-{cfg.kind}-{w}{i}.csv", f"{w}{i}-", 50)) for i in range(commits)] for w in "pq"]
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, *paths], env=env_of(cfg), cwd=ROOT) for paths in files]
    codes = [p.wait() for p in procs]
    out["two_writer_commits_per_s"] = (2 * commits) / (time.perf_counter() - started) if not any(codes) else None
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5000)
    ap.add_argument("--upload-rows", type=int, default=1_000_000)
    ap.add_argument("--commits", type=int, default=10)
    ap.add_argument("--file-upload", choices=("process", "thread"), default="process",
                    help="the file store's large upload from another process (readers wait for the file) or from "
                         "a thread of the reading process (as the dashboard uploads)")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    bin_dir = find_bin_dir()
    if bin_dir is None:
        sys.exit("PostgreSQL is not installed (make postgres)")
    cluster = Cluster(bin_dir).start()
    try:
        with tempfile.TemporaryDirectory(prefix="huddle-bench-store-") as folder:
            tmp = Path(folder)
            os.chmod(tmp, 0o755)
            started = time.perf_counter()
            generate(tmp / "world", seed=7, n_reps=a.reps)
            print(f"world: {a.reps} reps generated in {time.perf_counter() - started:.1f} s", flush=True)
            results = {}
            for cfg in (stores.resolve("", tmp / "huddle.duckdb"),
                        stores.resolve(f"ducklake:postgres:{cluster.conninfo(cluster.create_database())}",
                                       data_path=tmp / "lake")):
                results[cfg.kind] = bench(cfg, tmp / "world", tmp, a.upload_rows, a.commits, a.file_upload == "thread")
                print(cfg.kind, {k: round(v, 3) if isinstance(v, float) else v
                                 for k, v in results[cfg.kind].items()}, flush=True)
            f, lk = results["file"], results["ducklake"]
            print("lake/file: " + ", ".join(f"{k} {lk[k] / f[k]:.2f}x" for k in
                                            ("ingest_s", "report_s", "page_cold_s", "page_warm_s") if f.get(k)))
            if a.json:
                print(json.dumps({"reps": a.reps, "upload_rows": a.upload_rows, **results}))
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
