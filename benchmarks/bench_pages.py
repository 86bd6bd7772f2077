"""Time every page's render through Streamlit's AppTest on a database: cold, warm, rerun and a new filter.

    .venv/bin/python benchmarks/bench_pages.py --db /tmp/demo.duckdb [--pages overview adoption] [--warm 5] [--json]
                                               [--precompute]

cold: the cache emptied first (every query, model fit and chart computed; wall and CPU seconds, the latter
comparable on a loaded machine); warm: a new session once another session has filled the cache (the median of
--warm runs, and the slowest); rerun: the same session again (a widget change that needs nothing new); new filter: the first team chosen in the sidebar (computed for that filter; AppTest
runs no fragment timer, so a part a page draws just after its run, pages._ui.after_paint, is not in this figure).
Pages are found by glob (pages/*/*.py except _-prefixed modules). --precompute first refreshes the stored
default-view results (analytics.refresh.refresh, what an upload does) and times it. The peak memory (resident
set) of the process is printed last. Nothing here asserts a time; with --json the last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed_run(at) -> float:
    started = time.perf_counter()
    at.run()
    return time.perf_counter() - started


def cpu_run(at) -> tuple[float, float]:
    """Wall and CPU seconds (this process, every thread: the script's and DuckDB's) of one run; CPU seconds say
    what a run costs even on a loaded machine."""
    cpu, started = time.process_time(), time.perf_counter()
    at.run()
    return time.perf_counter() - started, time.process_time() - cpu


def bench_page(path: Path, warm_runs: int) -> dict:
    """Cold, warm, rerun and new-filter render times of one page, in seconds."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    def new():
        return AppTest.from_file(str(path), default_timeout=600)

    st.cache_data.clear()
    first = new()
    cold, cold_cpu = cpu_run(first)
    warm = [timed_run(new()) for _ in range(warm_runs)]
    rerun = timed_run(first)
    filtered = filtered_cpu = None
    teams = [w for w in first.multiselect if w.key == "f_teams"]
    if teams and teams[0].options:
        teams[0].set_value([teams[0].options[0]])
        filtered, filtered_cpu = cpu_run(first)
    return {"page": path.stem, "cold_s": round(cold, 3), "cold_cpu_s": round(cold_cpu, 3),
            "warm_median_s": round(statistics.median(warm), 3) if warm else None,
            "warm_max_s": round(max(warm), 3) if warm else None, "rerun_s": round(rerun, 3),
            "new_filter_s": None if filtered is None else round(filtered, 3),
            "new_filter_cpu_s": None if filtered_cpu is None else round(filtered_cpu, 3),
            "exceptions": [e.message for e in first.exception]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database file to render the pages on")
    parser.add_argument("--pages", nargs="*", help="page names (default: every page in pages/)")
    parser.add_argument("--warm", type=int, default=5, help="warm renders per page (new sessions)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON on the last line")
    parser.add_argument("--precompute", action="store_true",
                        help="refresh the stored default-view results first (as an upload does) and time it")
    a = parser.parse_args()
    os.environ["HUDDLE_DB"] = str(Path(a.db).resolve())
    refresh = None
    if a.precompute:
        from analytics import db
        from analytics.refresh import refresh as refresh_default_view
        con = db.connect(a.db)
        started = time.perf_counter()
        steps = refresh_default_view(con)
        refresh = {"seconds": round(time.perf_counter() - started, 2), "steps": steps}
        con.close()
    import analytics.views.overview  # noqa: F401  (imports are not what is measured)
    import plotly.graph_objects  # noqa: F401

    pages = sorted(p for p in (ROOT / "pages").glob("*/*.py") if not p.name.startswith("_"))
    if a.pages:
        pages = [p for p in pages if p.stem in a.pages]
    rows = [bench_page(p, a.warm) for p in pages]

    out = sys.stderr if a.json else sys.stdout
    print(f"{os.cpu_count()} cores; database {a.db}; {a.warm} warm renders per page\n", file=out)
    if refresh is not None:
        print(f"precompute.refresh: {refresh['seconds']:.2f} s (" + ", ".join(
            f"{k} {v if isinstance(v, str) else f'{v:.2f} s'}" for k, v in refresh["steps"].items()) + ")\n", file=out)
    print("| page | cold s (CPU s) | warm s (median) | warm s (max) | rerun s | new filter s (CPU s) | exceptions |",
          file=out)
    print("|---|---:|---:|---:|---:|---:|---|", file=out)

    def num(x):
        return "-" if x is None else f"{x:.2f}"
    for r in rows:
        nf = "-" if r["new_filter_s"] is None else f"{r['new_filter_s']:.2f} ({r['new_filter_cpu_s']:.2f})"
        print(f"| {r['page']} | {r['cold_s']:.2f} ({r['cold_cpu_s']:.2f}) | {num(r['warm_median_s'])} | "
              f"{num(r['warm_max_s'])} | {r['rerun_s']:.2f} | {nf} | {'; '.join(r['exceptions']) or 'none'} |",
              file=out)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024      # kilobytes on Linux
    print(f"\npeak memory (resident): {peak_mb:,.0f} MB", file=out)
    if a.json:
        print(json.dumps({"pages": rows, "slowest_warm_s": max((r["warm_max_s"] or 0 for r in rows), default=None),
                          "peak_memory_mb": round(peak_mb), "precompute": refresh}))


if __name__ == "__main__":
    main()
