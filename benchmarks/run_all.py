"""Huddle's benchmark suite: one command, every figure next to its reference, measured in the same run.

    .venv/bin/python benchmarks/run_all.py [--reps 5000] [--out benchmarks/out]

Generates a seeded company in the real export formats (analytics.demo), then times, each step in its own process
(peak memory = that process's max RSS; CPU seconds = its user + system time): the one-million-row export (all
regions) ingested, re-ingested and followed by a later overlapping export, each next to DuckDB's plain read_csv of
the same file; then the Salesforce-style export of the usual world, a naive pandas ingest, the rest of the world,
`report --json`, the retention fit and forecast, and every page's render through AppTest (cold and warm).
`--ingest-only` runs the first block alone. Figures are printed as a Markdown table and saved to
OUT/results_REPS.json. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SF = "salesforce_opportunities.csv"


# ----------------------------------------------------------------------------------------------- steps (child side)
def step_generate(a):
    from analytics.demo import generate
    truth = generate(a.world, seed=7, n_reps=a.reps)
    return {"files": truth["files"]}


def step_generate_sf_all(a):
    from analytics.demo import generate
    truth = generate(a.world_all, seed=7, n_reps=a.reps, salesforce_all_regions=True)
    return {"rows": truth["files"][SF]}


def step_read_csv_1m(a):
    import duckdb
    con = duckdb.connect(str(a.scratch / "ref1m.duckdb"))
    con.execute("CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv($p, ignore_errors=true)",
                {"p": str(a.world_all / SF)})
    return {"rows": con.execute("SELECT count(*) FROM t").fetchone()[0]}


def step_roster_1m(a):
    from analytics import db
    from analytics.ingest.load import ingest_file
    con = db.connect(a.scratch / "huddle1m.duckdb")
    r = ingest_file(con, "reps", a.world_all / "roster.csv", uploaded_by="bench")
    return {"inserted": r.rows_inserted}


def step_ingest_sf_1m(a):
    return _ingest(a, "crm", SF, a.world_all / SF, a.scratch / "huddle1m.duckdb")


def step_reingest_sf_1m(a):
    return _ingest(a, "crm", SF, a.world_all / SF, a.scratch / "huddle1m.duckdb")


def step_overlap_sf_1m(a):
    return _ingest(a, "crm", SF, _later_export(a.world_all / SF, a.scratch / "salesforce_later_1m.csv"),
                   a.scratch / "huddle1m.duckdb")


def step_read_csv(a):
    import duckdb
    con = duckdb.connect(str(a.scratch / "ref.duckdb"))
    con.execute("CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv($p, ignore_errors=true)", {"p": str(a.world / SF)})
    return {"rows": con.execute("SELECT count(*) FROM t").fetchone()[0]}


def _ingest(a, kind, name, path=None, database=None):
    from analytics import db
    from analytics.ingest.load import ingest_file
    con = db.connect(database or a.db)
    r = ingest_file(con, kind, path or (a.world / name), uploaded_by="bench")
    con.close()
    return {"read": r.rows_read, "inserted": r.rows_inserted, "updated": r.rows_updated,
            "unchanged": r.rows_unchanged, "rejected": r.rows_rejected}


def step_ingest_roster(a):
    return _ingest(a, "reps", "roster.csv")


def step_ingest_sf(a):
    return _ingest(a, "crm", SF)


def step_reingest_sf(a):
    return _ingest(a, "crm", SF)


def _later_export(src_path: Path, path: Path) -> Path:
    """A later export: the newer half of the deals, open ones now closed, plus unseen deals (10 %)."""
    if not path.exists():
        src = src_path.read_text(encoding="utf-8-sig").split("\n\n")[0].splitlines()
        header, rows = src[0], src[1:]
        half = rows[len(rows) // 2:]
        later = [r.replace('"Prospecting"', '"Closed Won"').replace('"Qualification"', '"Closed Lost"') for r in half]
        fresh = [r.replace('","', '","Renewal ', 1).replace('"Renewal ', '"', 1)
                 .replace(' - ', ' - Expansion - ', 1) for r in rows[: len(rows) // 10]]
        path.write_text("\n".join([header, *later, *fresh]) + "\n", encoding="utf-8")
    return path


def step_later_1m(a):
    """Writes the later export of the 1M-row file (outside the timed steps)."""
    path = _later_export(a.world_all / SF, a.scratch / "salesforce_later_1m.csv")
    return {"rows": sum(1 for _ in path.open(encoding="utf-8")) - 1}


def step_read_csv_later_1m(a):
    import duckdb
    con = duckdb.connect(str(a.scratch / "ref1m_later.duckdb"))
    con.execute("CREATE OR REPLACE TABLE t AS SELECT * FROM read_csv($p, ignore_errors=true)",
                {"p": str(a.scratch / "salesforce_later_1m.csv")})
    return {"rows": con.execute("SELECT count(*) FROM t").fetchone()[0]}


def step_overlap_sf(a):
    return _ingest(a, "crm", SF, _later_export(a.world / SF, a.scratch / "salesforce_later.csv"))


def step_ingest_rest(a):
    out = {}
    for kind, name in (("messages", "messages.csv"), ("crm", "hubspot_deals.csv"),
                       ("quiz", "lms_quiz_results.csv"), ("feedback", "field_feedback.csv")):
        out[name] = _ingest(a, kind, name)["inserted"]
    return out


def step_naive_ingest(a):
    """The naive way: pandas reads everything, Python normalizes row by row, the frame is inserted."""
    from datetime import datetime

    import duckdb
    import pandas as pd
    df = pd.read_csv(a.world / SF, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    df = df[df["Stage"].notna() & (df["Stage"].fillna("") != "")].fillna("")  # footer lines have one field

    def money(v):
        v = v.replace("$", "").replace(",", "").strip()
        return float(v) if v else None

    def day(v):
        return datetime.strptime(v, "%m/%d/%Y").date() if v else None

    rows = []
    for rec in df.to_dict("records"):
        rows.append({"owner": rec["Opportunity Owner"].strip(), "account": rec["Account Name"].strip(),
                     "name": rec["Opportunity Name"].strip(), "amount": money(rec["Amount"]),
                     "close_date": day(rec["Close Date"]), "created_date": day(rec["Created Date"]),
                     "outcome": {"Closed Won": "won", "Closed Lost": "lost"}.get(rec["Stage"], "open"),
                     "segment": rec["Segment"]})
    out = pd.DataFrame(rows)
    con = duckdb.connect(str(a.scratch / "naive.duckdb"))
    con.register("out", out)
    con.execute("CREATE OR REPLACE TABLE opportunities AS SELECT * FROM out")
    return {"rows": len(out)}


def step_precompute(a):
    """What an upload is followed by: the pages' default view, stored for the data version."""
    from analytics import db
    from analytics.refresh import refresh
    con = db.connect(a.db)
    steps = refresh(con)
    return {"steps": steps}


def step_report(a):
    from analytics import db
    from analytics.views.report import build_report
    con = db.connect(a.db)
    rep = build_report(con)
    return {"messages": len(rep["messages"]), "closed_deals": rep["data"]["closed_deals"]}


def step_forecast(a):
    from datetime import date

    from analytics import db
    from analytics.views import forgetting, practice
    con = db.connect(a.db)
    t0 = time.perf_counter()
    attempts = practice.load_attempts(con)
    model = practice.fit(attempts)
    fit_s = time.perf_counter() - t0
    t1 = time.perf_counter()
    fc = forgetting.forecast(con, [date(2026, 11, 27)], model=model)
    return {"attempts": len(attempts), "fit_seconds": round(fit_s, 2), "rows": len(fc),
            "forecast_seconds": round(time.perf_counter() - t1, 2)}


def step_pages(a):
    bench = ROOT / "benchmarks" / "bench_pages.py"
    if not bench.exists():
        return {"skipped": "benchmarks/bench_pages.py not present"}
    res = subprocess.run([sys.executable, str(bench), "--db", str(a.db), "--json"], capture_output=True,
                         text=True, cwd=ROOT)
    if res.returncode:
        return {"error": res.stderr.strip().splitlines()[-1] if res.stderr.strip() else "failed"}
    return json.loads(res.stdout.strip().splitlines()[-1])


STEPS = {
    "generate": step_generate, "generate_sf_all": step_generate_sf_all, "read_csv_1m": step_read_csv_1m,
    "roster_1m": step_roster_1m, "ingest_sf_1m": step_ingest_sf_1m, "reingest_sf_1m": step_reingest_sf_1m,
    "later_1m": step_later_1m, "read_csv_later_1m": step_read_csv_later_1m, "overlap_sf_1m": step_overlap_sf_1m,
    "read_csv": step_read_csv, "ingest_roster": step_ingest_roster,
    "ingest_sf": step_ingest_sf, "reingest_sf": step_reingest_sf, "naive_ingest": step_naive_ingest,
    "overlap_sf": step_overlap_sf, "ingest_rest": step_ingest_rest, "precompute": step_precompute,
    "report": step_report,
    "forecast": step_forecast, "pages": step_pages,
}

LABELS = {
    "read_csv_1m": "DuckDB read_csv of the all-regions Salesforce export (reference)",
    "ingest_sf_1m": "Huddle ingest of that file",
    "reingest_sf_1m": "Re-ingest of that file (all unchanged)",
    "read_csv_later_1m": "DuckDB read_csv of a later overlapping export of it (reference)",
    "overlap_sf_1m": "Huddle ingest of the later overlapping export",
    "read_csv": "DuckDB read_csv of the Salesforce export (reference)",
    "ingest_sf": "Huddle ingest of the same file",
    "naive_ingest": "Naive ingest (pandas + Python rows)",
    "reingest_sf": "Re-ingest of the same file (all unchanged)",
    "overlap_sf": "Later overlapping export",
    "ingest_rest": "HubSpot, quiz, feedback and catalog uploads",
    "precompute": "Stored default view after an upload (precompute.refresh)",
    "report": "report --json (all messages, adjusted lifts with intervals)",
    "forecast": "Retention fit + forecast",
    "pages": "Page renders (AppTest)",
}


# ----------------------------------------------------------------------------------------------- orchestration
def run_step(name: str, a) -> dict:
    """Run one step in a fresh process: the step's own time, the process's wall and CPU time and peak memory
    (max RSS). CPU seconds tell a slow step from a busy machine when other work shares the cores."""
    cmd = [sys.executable, __file__, "--step", name, "--reps", str(a.reps), "--out", str(a.out)]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    out, err = proc.communicate()
    seconds = time.perf_counter() - t0
    if proc.returncode:
        raise SystemExit(f"step {name} failed:\n{err}")
    result = json.loads(out.strip().splitlines()[-1])
    result.update(process_seconds=round(seconds, 2), cpu_seconds=result.pop("_cpu"), peak_mb=result.pop("_peak_mb"))
    return result


def _load() -> str:
    """The machine's load average over the last minute, to read the figures by."""
    return f"{os.getloadavg()[0]:.1f}"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def paths(a):
    a.out = Path(a.out).resolve()
    a.world = a.out / f"world_{a.reps}"
    a.world_all = a.out / f"world_{a.reps}_sf_all"
    a.scratch = a.out / f"scratch_{a.reps}"
    a.db = a.scratch / "huddle.duckdb"
    a.scratch.mkdir(parents=True, exist_ok=True)
    return a


# Each step against the read_csv of the same file, measured in the same run.
REFERENCE = {"ingest_sf_1m": "read_csv_1m", "reingest_sf_1m": "read_csv_1m", "overlap_sf_1m": "read_csv_later_1m",
             "ingest_sf": "read_csv", "reingest_sf": "read_csv", "naive_ingest": "read_csv",
             "overlap_sf": "read_csv"}
INGEST_1M = ("later_1m", "read_csv_1m", "roster_1m", "ingest_sf_1m", "reingest_sf_1m", "read_csv_later_1m",
             "overlap_sf_1m")
REST = ("read_csv", "ingest_roster", "ingest_sf", "reingest_sf", "naive_ingest", "overlap_sf", "ingest_rest",
        "precompute", "report", "forecast", "pages")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--reps", type=int, default=5000)
    p.add_argument("--out", default=str(ROOT / "benchmarks" / "out"))
    p.add_argument("--step")
    p.add_argument("--skip", action="append", default=[], help="steps to leave out")
    p.add_argument("--ingest-only", action="store_true",
                   help="only the all-regions export: ingest, re-ingest and a later overlapping export")
    a = paths(p.parse_args())
    if a.step:
        import resource
        t0 = time.perf_counter()
        result = STEPS[a.step](a)
        usage = resource.getrusage(resource.RUSAGE_SELF)
        print(json.dumps({"seconds": round(time.perf_counter() - t0, 2), **result,
                          "_cpu": round(usage.ru_utime + usage.ru_stime, 2),
                          "_peak_mb": round(usage.ru_maxrss / 1024)}, default=str))
        return
    for f in a.scratch.glob("*.duckdb*"):
        f.unlink()
    results = {"machine": f"{platform.machine()}, {os.cpu_count()} cores, {_cpu_model()}, "
                          f"Python {platform.python_version()}",
               "reps": a.reps, "date": time.strftime("%Y-%m-%d"), "load_before": _load()}
    if not (a.world / SF).exists() and not a.ingest_only:
        results["generate"] = run_step("generate", a)
    if not (a.world_all / SF).exists() and "ingest_sf_1m" not in a.skip:
        results["generate_sf_all"] = run_step("generate_sf_all", a)
    names = INGEST_1M if a.ingest_only else (() if "ingest_sf_1m" in a.skip else INGEST_1M) + REST
    for name in names:
        if name in a.skip:
            continue
        results[name] = run_step(name, a)
        results[name]["load"] = _load()
        r = results[name]
        print(f"{name:18s} {r['seconds']:8.2f} s  {r['cpu_seconds']:7.2f} cpu s  {r['peak_mb']:6d} MB  "
              f"load {r['load']}  {r}", file=sys.stderr)
    results["load_after"] = _load()
    rows = results.get("ingest_sf", results.get("ingest_sf_1m", {})).get("inserted", 0)
    print(f"\n{results['machine']}; {a.reps} reps; {results['date']}; load average {results['load_before']} "
          f"before, {results['load_after']} after\n")
    # On a shared machine the CPU seconds of each step's process are the steadier comparison.
    print("| step | seconds | vs read_csv | CPU s | CPU vs read_csv | peak MB |\n|---|---:|---:|---:|---:|---:|")
    for name, label in LABELS.items():
        if name in results:
            r = results[name]
            ref = results.get(REFERENCE.get(name, ""), {})
            ratio = f"{r['seconds'] / ref['seconds']:.1f}x" if ref.get("seconds") else "-"
            cpu_ratio = f"{r['cpu_seconds'] / ref['cpu_seconds']:.1f}x" if ref.get("cpu_seconds") else "-"
            print(f"| {label} | {r['seconds']:.1f} | {ratio} | {r['cpu_seconds']:.1f} | {cpu_ratio} | "
                  f"{r['peak_mb']} |")
    if rows:
        print(f"\n({rows:,} Salesforce-style rows in the first ingest)")
    pages = results.get("pages", {})
    if isinstance(pages, dict) and isinstance(pages.get("pages"), list):
        print("\n| page | cold s | warm median s | warm max s |\n|---|---:|---:|---:|")
        for row in pages["pages"]:
            print(f"| {row['page']} | {row['cold_s']:.2f} | {row['warm_median_s']:.2f} | {row['warm_max_s']:.2f} |")
    (a.out / f"results_{a.reps}.json").write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
