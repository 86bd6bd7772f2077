"""The two stores side by side on one generated world: the local DuckDB file and DuckLake on a throw-away PostgreSQL.

    .venv-lake/bin/python benchmarks/bench_store.py [--reps 5000] [--world DIR] [--upload-rows 1000000]
                                                    [--commits 10] [--json]
    .venv/bin/python benchmarks/bench_store.py --stores file --from-db DB --only-upload   # the file alone

--stores file times the local file only (no PostgreSQL needed); --from-db starts the file store from a copy of a
database built before (e.g. by analytics.demo_load) instead of ingesting a world; --only-upload times only the
reads during the large upload (and, on the file, what a write's private copy costs: the file's size and one copy).

Per store: ingest of the world's exports; the report (python -m analytics report); a page query (the Overview's win
rate in the default period, plus the Loaded page's summary) cold (the first in a new process once the store is open;
the lake's attach in that process is printed apart as page_process_open_s) and warm (median of five after it); the
What's loaded page rendered through Streamlit's AppTest, cold (cache emptied) and warm (median of three new
sessions); the p50/p95 and slowest of the page query while a large CRM upload runs in another process (on the file
the writer works on a private copy, so readers should not wait; --file-upload thread uploads from a thread of the
reading process, as the dashboard does), with the upload's own seconds; a small command-line upload with the
default-view refresh in the background (the default): when the command returned and when the refresh it started was
done; commits per second with two writer processes making --commits small uploads each; on the lake, its data files
after the ingest and at the end. The lake's one-off attach (loading both extensions) is printed
apart. PostgreSQL comes from Debian's package, started as in the tests (tests/pg.py). Both stores run on the same
DuckDB (duckdb 1.5.5 in .venv-lake, the lake's version). The machine's load average is printed at the start and the
end. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
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

import duckdb  # noqa: E402

from analytics import stores  # noqa: E402
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
# The page query in a process of its own: cold is its first run once the store is open.
PAGES = """
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from bench_store import page_query, stores
cfg = stores.resolve()
started = time.perf_counter()
if cfg.is_lake:
    stores.open_lake(cfg)
opened = time.perf_counter() - started
cold = page_query(cfg)
print(json.dumps({"open_s": opened, "cold_s": cold, "warm_s": statistics.median(page_query(cfg) for _ in range(5))}))
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


def app_renders(cfg, page: str = "pages/ops/loaded.py", warm_runs: int = 3) -> tuple[float, float]:
    """A page rendered by AppTest on cfg's store: cold (cache emptied), warm (median of new sessions)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest
    saved = {k: os.environ.get(k) for k in ("HUDDLE_STORE", "HUDDLE_DATA_PATH", "HUDDLE_DB")}
    os.environ.update({k: v for k, v in env_of(cfg).items() if k in saved})
    try:
        def render() -> float:
            at = AppTest.from_file(str(ROOT / page), default_timeout=600)
            started = time.perf_counter()
            at.run()
            assert not at.exception, [e.message for e in at.exception]
            return time.perf_counter() - started
        st.cache_data.clear()
        cold = render()
        return cold, statistics.median(render() for _ in range(warm_runs))
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def load() -> str:
    """The 1-, 5- and 15-minute load averages (other work on the machine skews every time here)."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def env_of(cfg) -> dict:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "HUDDLE_REFRESH": "skip"}
    if cfg.is_lake:
        env.update(HUDDLE_STORE=cfg.spec(), HUDDLE_DATA_PATH=cfg.data_path)
    else:
        env.update(HUDDLE_STORE="", HUDDLE_DB=str(cfg.path))
    return env


def copy_cost(cfg, tmp: Path) -> dict:
    """What each write on the file costs before it starts: the file's size and one copy of it (the new version)."""
    size = os.stat(cfg.path).st_size
    started = time.perf_counter()
    shutil.copyfile(cfg.path, tmp / "copy-cost.duckdb")
    seconds = time.perf_counter() - started
    os.unlink(tmp / "copy-cost.duckdb")
    return {"db_mb": round(size / 1e6, 1), "copy_s": seconds}


def bench(cfg, world: Path, tmp: Path, upload_rows: int, commits: int, in_process: bool,
          from_db: Path | None = None, only_upload: bool = False) -> dict:
    out: dict = {}
    if cfg.is_lake:
        started = time.perf_counter()
        stores.open_lake(cfg)
        out["attach_s"] = time.perf_counter() - started
    if from_db is not None and not cfg.is_lake:
        shutil.copyfile(from_db, cfg.path)
    else:
        started = time.perf_counter()
        for kind, name in DEMO_FILES:
            if (world / name).exists():
                stores.write(cfg, ingest_file, kind, world / name)
        out["ingest_s"] = time.perf_counter() - started
    if cfg.is_lake:
        out["layout_after_ingest"] = layout(cfg)
    else:
        out.update(copy_cost(cfg, tmp))
    if not only_upload:
        out.update(reads(cfg))
    out.update(upload_during_reads(cfg, tmp, upload_rows, in_process))
    if not only_upload:
        out.update(upload_then_refresh(cfg, tmp))
        out.update(two_writers(cfg, tmp, commits))
    return out


def upload_then_refresh(cfg, tmp: Path) -> dict:
    """A small command-line upload with the refresh in the background: seconds until the command returned, and until
    the refresh it started left the default view current (the upload must not wait for the refresh)."""
    from analytics import refresh_worker
    path = crm(tmp / f"r-{cfg.kind}.csv", "refreshed-", 50)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "analytics", "ingest", "crm", str(path), "--refresh", "background"],
                   env=env_of(cfg), cwd=ROOT, capture_output=True, text=True, check=True)
    returned = time.perf_counter() - started
    while True:
        with stores.reading(cfg, wait_seconds=600) as con:
            state = refresh_worker.refresh_status(con)["state"]
        if state not in ("pending", "refreshing") or time.perf_counter() - started > 3600:
            break
        time.sleep(0.5)
    return {"upload_returned_s": returned, "refresh_done_s": time.perf_counter() - started, "refresh_state": state}


def reads(cfg) -> dict:
    """The report, the page query cold and warm in a new process, and the What's loaded page through AppTest."""
    out: dict = {}
    started = time.perf_counter()
    with stores.reading(cfg) as con:
        build_report(con)
    out["report_s"] = time.perf_counter() - started
    pages = subprocess.run([sys.executable, "-c", PAGES, str(ROOT / "benchmarks")], env=env_of(cfg), cwd=ROOT,
                           capture_output=True, text=True, check=True)
    fresh = json.loads(pages.stdout.strip().splitlines()[-1])
    if cfg.is_lake:
        out["page_process_open_s"] = fresh["open_s"]
    out["page_cold_s"], out["page_warm_s"] = fresh["cold_s"], fresh["warm_s"]
    out["app_loaded_cold_s"], out["app_loaded_warm_s"] = app_renders(cfg)
    return out


def upload_during_reads(cfg, tmp: Path, upload_rows: int, in_process: bool) -> dict:
    """The page query, again and again, while a large CRM upload runs: p50 / p95, how many reads, the upload's time."""
    out: dict = {}
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
        out["during_max_s"] = latencies[-1]
    return out


def two_writers(cfg, tmp: Path, commits: int) -> dict:
    """Commits per second with two writer processes making `commits` small uploads each; the lake's files at the end."""
    out: dict = {}
    files = [[str(crm(tmp / f"c-{cfg.kind}-{w}{i}.csv", f"{w}{i}-", 50)) for i in range(commits)] for w in "pq"]
    started = time.perf_counter()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, *paths], env=env_of(cfg), cwd=ROOT) for paths in files]
    codes = [p.wait() for p in procs]
    out["two_writer_commits_per_s"] = (2 * commits) / (time.perf_counter() - started) if not any(codes) else None
    if cfg.is_lake:
        out["layout_at_end"] = layout(cfg)
    return out


def layout(cfg) -> dict:
    """The lake's data files: how many, in how many tables, the most in one table, and delete files."""
    with stores.reading(cfg) as con:
        rows = con.execute("SELECT file_count, delete_file_count FROM ducklake_table_info('lake')").fetchall()
    return {"tables": len(rows), "data_files": sum(r[0] for r in rows), "most_in_a_table": max(r[0] for r in rows),
            "delete_files": sum(r[1] for r in rows)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=5000)
    ap.add_argument("--upload-rows", type=int, default=1_000_000)
    ap.add_argument("--commits", type=int, default=10)
    ap.add_argument("--file-upload", choices=("process", "thread"), default="process",
                    help="the file store's large upload from another process (readers wait for the file) or from "
                         "a thread of the reading process (as the dashboard uploads)")
    ap.add_argument("--world", type=Path, help="a world generated before (analytics.demo.generate, seed 7, "
                                                 "--reps reps) instead of generating one; exports missing from "
                                                 "it are left out (and named)")
    ap.add_argument("--stores", choices=("both", "file", "ducklake"), default="both")
    ap.add_argument("--from-db", type=Path, help="the file store starts from a copy of this database (no ingest)")
    ap.add_argument("--only-upload", action="store_true", help="only the reads during the large upload")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    cluster = None
    if a.stores != "file":
        bin_dir = find_bin_dir()
        if bin_dir is None:
            sys.exit("PostgreSQL is not installed (make postgres)")
        cluster = Cluster(bin_dir).start()
    try:
        with tempfile.TemporaryDirectory(prefix="huddle-bench-store-") as folder:
            tmp = Path(folder)
            os.chmod(tmp, 0o755)
            print(f"duckdb {duckdb.__version__}; load average at start: {load()}", flush=True)
            world = a.world or tmp / "world"
            missing = [name for _, name in DEMO_FILES if not (world / name).exists()]
            if missing and a.world is not None:
                print(f"not in {world}, left out: {', '.join(missing)}", flush=True)
            needs_world = a.stores != "file" or a.from_db is None
            if a.world is None and needs_world:
                started = time.perf_counter()
                generate(world, seed=7, n_reps=a.reps)
                print(f"world: {a.reps} reps generated in {time.perf_counter() - started:.1f} s", flush=True)
            results = {}
            cfgs = []
            if a.stores != "ducklake":
                cfgs.append(stores.resolve("", tmp / "huddle.duckdb"))
            if cluster is not None:
                cfgs.append(stores.resolve(f"ducklake:postgres:{cluster.conninfo(cluster.create_database())}",
                                           data_path=tmp / "lake"))
            for cfg in cfgs:
                results[cfg.kind] = bench(cfg, world, tmp, a.upload_rows, a.commits, a.file_upload == "thread",
                                          a.from_db, a.only_upload)
                print(cfg.kind, {k: round(v, 3) if isinstance(v, float) else v
                                 for k, v in results[cfg.kind].items()}, flush=True)
            f, lk = results.get("file", {}), results.get("ducklake", {})
            print("lake/file: " + ", ".join(f"{k} {lk[k] / f[k]:.2f}x" for k in
                                            ("ingest_s", "report_s", "page_cold_s", "page_warm_s",
                                             "app_loaded_cold_s", "app_loaded_warm_s", "during_p50_s",
                                             "during_p95_s", "during_max_s") if f.get(k) and lk.get(k)))
            print(f"load average at the end: {load()}", flush=True)
            if a.json:
                print(json.dumps({"reps": a.reps, "upload_rows": a.upload_rows, **results}))
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
