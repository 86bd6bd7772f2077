"""Page speed as people see it: several browser sessions at once on a database, in headless Chromium.

    nice .venv/bin/python benchmarks/bench_pages_browser.py --db /tmp/bench5k/huddle.duckdb [--sessions 3]
                                                            [--pages overview adoption] [--upload FILE] [--json]

Serves the app (`streamlit run app.py`, trusted-header mode, an admin identity) on a private copy of --db, then:

- first paint: --sessions browser contexts at once open every page by URL (each a new Streamlit session; the
  sessions start at different pages, so different pages are computed at the same time, as when a team arrives), and
  each time is taken from the navigation's start until the page's main content is visible: its first chart, table,
  metric or uploader, not the title or the spinner. `drawn` is until the script run is over (everything drawn).
  The first session to open a page finds the server's cache cold for it; the others may find it warm.
- filter: each session chooses a team in the Overview's sidebar; timed from the choice until the run it starts
  is over (tiles and chart drawn), and until nothing is pending any more (`settled`: the lift-based attention
  list, which the page draws just after its run for a selection other than the default, is drawn too).
- upload: one session puts a file on the Data page (default: a later export of the database's field feedback log,
  every note again plus one in ten a week later, written to the temporary folder): preview = from giving the file
  to the preview shown; commit = from Confirm to "Upload N: ... loaded".

Targets (issue 11): first paint under 3 s, filter under 1 s, commit under 2x its preview. Prints one table, then the
machine (cores, load average before and after); nothing here asserts a time. With --json the last line is JSON.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import platform
import re
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.e2e.serve import CHROMIUM, CHROMIUM_ARGS, Server, ServerFailed  # noqa: E402

HEADER = "X-Forwarded-Email"
ADMIN = "bench-admin@example.com"
# What counts as a page's main content: the first of these inside the main area (not the title or the spinner); a
# page that draws none of them (a notice only) counts as painted when its run is over.
CONTENT = ('[data-testid="stMain"] :is(.js-plotly-plot, [data-testid="stDataFrame"], [data-testid="stTable"], '
           '[data-testid="stMetric"], [data-testid="stFileUploader"])')
TITLE = '[data-testid="stMain"] h1'
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
TIMEOUT_MS = 300_000
TARGETS = {"first_paint": 3.0, "filter": 1.0}


def start_server(db_path: Path, log_path: Path) -> Server:
    """`streamlit run app.py` on db_path (tests/e2e/serve.py), returned once healthy."""
    env = {**os.environ, "HUDDLE_DB": str(db_path), "HUDDLE_TRUSTED_HEADER": HEADER,
           "HUDDLE_ROLES": json.dumps({ADMIN: "admin"})}
    try:
        return Server(env, log_path).wait_healthy(180)
    except ServerFailed as exc:
        sys.exit(str(exc))


def later_feedback_export(db_path: Path, out: Path, every: int = 10) -> Path:
    """A later export of the database's field feedback log: every note again, plus one in `every` a week later
    (new notes)."""
    from analytics import db
    con = db.connect(db_path, read_only=True)
    rows = con.execute("SELECT feedback_date, rep_email, topic, rating, outcome, notes FROM feedback "
                       "ORDER BY feedback_date, feedback_id").fetchall()
    con.close()
    with out.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Date", "Rep Email", "Message", "Rating", "Outcome", "Notes"])
        for i, (day, email, topic, rating, outcome, notes) in enumerate(rows):
            w.writerow([day, email, topic, rating, outcome, notes])
            if i % every == 0:
                w.writerow([day + timedelta(days=7), email, topic, rating, outcome, notes])
    return out


async def watch_runs(page) -> None:
    """Record in the page when a script run starts and ends (the app's data-test-script-state attribute)."""
    await page.evaluate("""() => {
        const app = document.querySelector('[data-testid="stApp"]');
        window.__runs = [];
        new MutationObserver(() => window.__runs.push([app.getAttribute('data-test-script-state'), performance.now()]))
            .observe(app, {attributes: true, attributeFilter: ['data-test-script-state']});
    }""")


async def until_run_over(page, since_ms: float) -> float:
    """Milliseconds (page clock) at which the first run started after since_ms was over."""
    handle = await page.wait_for_function("""(since) => {
        const r = window.__runs.filter(x => x[1] >= since);
        const start = r.findIndex(x => x[0] === 'running');
        if (start < 0) return false;
        const end = r.slice(start).find(x => x[0] === 'notRunning');
        return end ? end[1] : false;
    }""", arg=since_ms, timeout=TIMEOUT_MS, polling=50)
    return await handle.json_value()


async def open_page(page, url: str) -> dict:
    """Seconds from the navigation's start until the main content is visible, and until the run is over."""
    started = time.perf_counter()
    await page.goto(url, wait_until="commit", timeout=TIMEOUT_MS)
    error = page.locator('[data-testid="stException"]')
    await page.locator(TITLE).or_(error).first.wait_for(timeout=TIMEOUT_MS)      # this page's run has begun
    await page.locator(CONTENT).or_(page.locator(IDLE)).or_(error).first.wait_for(state="visible",
                                                                                 timeout=TIMEOUT_MS)
    paint = time.perf_counter() - started
    await page.wait_for_selector(IDLE, timeout=TIMEOUT_MS)
    drawn = time.perf_counter() - started
    errors = await page.locator('[data-testid="stException"]').count()
    dialog = page.get_by_role("dialog")
    notice = (await dialog.first.inner_text()).splitlines()[0] if await dialog.count() else None
    if notice:                       # e.g. Streamlit's "Page not found" on a server's first deep link: close it
        await page.keyboard.press("Escape")
    return {"first_paint": paint, "drawn": drawn, "errors": errors, "dialog": notice}


async def until_settled(page) -> float:
    """Milliseconds (page clock) once no run is going and no part of the page says it is still being worked out."""
    from pages._ui import PENDING
    handle = await page.wait_for_function("""(pending) => {
        const app = document.querySelector('[data-testid="stApp"]');
        if (app.getAttribute('data-test-script-state') !== 'notRunning') return false;
        return document.body.innerText.includes(pending) ? false : performance.now();
    }""", arg=PENDING, timeout=TIMEOUT_MS, polling=50)
    return await handle.json_value()


async def choose_team(page, i: int) -> tuple[float, float]:
    """Seconds from choosing a team in the sidebar filter until the run it starts is over, and until settled."""
    await page.get_by_role("combobox", name="Team", exact=True).click()
    options = page.get_by_role("option")
    await options.first.wait_for(timeout=TIMEOUT_MS)
    n = await options.count()
    await watch_runs(page)
    now = await page.evaluate("performance.now()")
    await options.nth(i % n).click()
    end = await until_run_over(page, now)
    settled = await until_settled(page)
    await page.keyboard.press("Escape")
    return (end - now) / 1000, (settled - now) / 1000


async def session(browser, base: str, pages: list[str], offset: int, results: dict) -> None:
    ctx = await browser.new_context(extra_http_headers={HEADER: ADMIN}, viewport={"width": 1400, "height": 1000})
    page = await ctx.new_page()
    order = pages[offset % len(pages):] + pages[:offset % len(pages)]
    for key in order:
        try:
            t = await open_page(page, f"{base}/{key}")
        except Exception as exc:         # a page that never drew: recorded, the others still measured
            t = {"first_paint": float("nan"), "drawn": float("nan"), "errors": 1, "dialog": None,
                 "failed": str(exc).splitlines()[0]}
        results["pages"].setdefault(key, []).append({**t, "session": offset, "at": time.perf_counter()})
        print(f"session {offset} {key}: {t}", flush=True)
    try:
        await open_page(page, f"{base}/overview")
        run_over, settled = await choose_team(page, offset)
        results["filter"].append(run_over)
        results["filter_settled"].append(settled)
        print(f"session {offset} filter: {run_over:.2f} s, settled {settled:.2f} s", flush=True)
    except Exception as exc:
        print(f"session {offset} filter failed: {str(exc).splitlines()[0]}", flush=True)
    await ctx.close()


async def upload(browser, base: str, path: Path) -> dict:
    ctx = await browser.new_context(extra_http_headers={HEADER: ADMIN}, viewport={"width": 1400, "height": 1000})
    page = await ctx.new_page()
    await open_page(page, f"{base}/data")
    started = time.perf_counter()
    await page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(path))
    await page.get_by_text("Preview: nothing has been written yet").wait_for(timeout=TIMEOUT_MS)
    preview = time.perf_counter() - started
    await page.wait_for_selector(IDLE, timeout=TIMEOUT_MS)
    counts = {}
    for label in ("Would insert", "Would update", "Unchanged", "Rejected"):
        box = page.locator('[data-testid="stMetric"]', has_text=label).first
        counts[label] = int(re.sub(r"[^0-9]", "", await box.locator('[data-testid="stMetricValue"]').inner_text()))
    started = time.perf_counter()
    await page.get_by_role("button", name=re.compile("Confirm: load 1 file")).click()
    await page.get_by_text(re.compile(r"Upload \d+: .* loaded")).wait_for(timeout=TIMEOUT_MS)
    commit = time.perf_counter() - started
    await ctx.close()
    return {"file": path.name, "preview": preview, "commit": commit, "ratio": commit / preview, **counts}


async def run(base: str, pages: list[str], n_sessions: int, upload_file: Path | None) -> dict:
    from playwright.async_api import async_playwright
    results = {"pages": {}, "filter": [], "filter_settled": []}
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        started = time.perf_counter()
        await asyncio.gather(*(session(browser, base, pages, i, results) for i in range(n_sessions)))
        results["sessions_s"] = time.perf_counter() - started
        results["upload"] = await upload(browser, base, upload_file) if upload_file else None
        await browser.close()
    return results


def fmt(x: float) -> str:
    return f"{x:.1f} s" if x >= 10 else f"{x:.2f} s"


def table(results: dict, n_sessions: int) -> str:
    lines = [f"| page | first paint, first session (cold) | first paint, median / max of {n_sessions} | "
             "all drawn, max | target < 3 s |", "|---|---:|---:|---:|:---:|"]
    for key, runs in results["pages"].items():
        first = min(runs, key=lambda r: r["at"])
        paints = [r["first_paint"] for r in runs if r["first_paint"] == r["first_paint"]]
        if not paints:
            lines.append(f"| {key} | failed: {first.get('failed') or 'exception'} | - | - | not met |")
            continue
        lines.append(f"| {key} | {fmt(first['first_paint'])} | {fmt(statistics.median(paints))} / {fmt(max(paints))}"
                     f" | {fmt(max(r['drawn'] for r in runs))} | {'met' if max(paints) < 3 else 'not met'} |")
    f = results["filter"] or [float("nan")]
    lines.append(f"| filter change (a team, Overview): run over | - | {fmt(statistics.median(f))} / {fmt(max(f))} | "
                 f"- | {'met' if max(f) < 1 else 'not met'} (< 1 s) |")
    f = results["filter_settled"] or [float("nan")]
    lines.append(f"| filter change: attention list drawn too (settled) | - | {fmt(statistics.median(f))} / "
                 f"{fmt(max(f))} | - | {'met' if max(f) < 1 else 'not met'} (< 1 s) |")
    u = results["upload"]
    if u:
        lines.append(f"| upload {u['file']} ({u['Would insert']:,} new, {u['Would update']:,} updated, "
                     f"{u['Unchanged']:,} unchanged): preview / commit | - | {fmt(u['preview'])} / {fmt(u['commit'])}"
                     f" | commit = {u['ratio']:.2f}x preview | {'met' if u['ratio'] < 2 else 'not met'} (< 2x) |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="database to serve (a private copy is used)")
    parser.add_argument("--sessions", type=int, default=3, help="browser sessions at once")
    parser.add_argument("--pages", nargs="*", help="page keys (default: every page in pages/__init__.py)")
    parser.add_argument("--upload", type=Path, help="file to upload (default: a later field feedback export)")
    parser.add_argument("--no-upload", action="store_true", help="skip the upload")
    parser.add_argument("--json", action="store_true", help="print the results as JSON on the last line")
    a = parser.parse_args()
    from pages import PAGES
    pages = a.pages or list(PAGES)
    with tempfile.TemporaryDirectory(prefix="huddle-bench-browser-") as tmp:
        tmp = Path(tmp)
        db_path = tmp / "huddle.duckdb"
        shutil.copy(a.db, db_path)
        upload_file = None if a.no_upload else (a.upload or later_feedback_export(db_path,
                                                                                tmp / "field_feedback_later.csv"))
        load_before = os.getloadavg()
        server = start_server(db_path, tmp / "streamlit.log")
        try:
            results = asyncio.run(run(server.url, pages, a.sessions, upload_file))
        finally:
            server.stop()
        load_after = os.getloadavg()
    print(table(results, a.sessions))
    machine = {"cores": os.cpu_count(), "machine": platform.machine(), "python": platform.python_version(),
               "load_before": [round(x, 1) for x in load_before], "load_after": [round(x, 1) for x in load_after]}
    print(f"\n{a.sessions} sessions at once, {results['sessions_s']:.0f} s in all; {machine['cores']} cores "
          f"({machine['machine']}, Python {machine['python']}); load average (1, 5, 15 min) before "
          f"{machine['load_before']}, after {machine['load_after']}.")
    errors = {k: sum(r["errors"] for r in runs) for k, runs in results["pages"].items()
              if any(r["errors"] for r in runs)}
    if errors:
        print(f"Pages that showed an exception: {errors}")
    dialogs = [(k, r["dialog"]) for k, runs in results["pages"].items() for r in runs if r["dialog"]]
    if dialogs:
        print(f"Dialogs shown over a page (closed): {dialogs}")
    if a.json:
        print(json.dumps({**results, "machine": machine}, default=str))


if __name__ == "__main__":
    main()
