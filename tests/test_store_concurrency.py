"""Two dashboard replicas (`streamlit run`, read in Chromium), a reader process and two command-line writers on one
DuckLake: readers see whole uploads only, every upload is there once, and each replica shows the others' uploads.
(A writer killed mid-upload: tests/test_shared_store.py.)"""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import time

import pytest
from conftest import ROOT
from e2e.serve import CHROMIUM, CHROMIUM_ARGS, Server, ServerFailed

from analytics import lake_write, settings, stores
from analytics.ingest.load import ingest_file

# DuckLake's extensions exist for duckdb 1.5.5 only: `make test` runs these in .venv-lake (see Makefile).
pytestmark = pytest.mark.lake

BASE = 50
# Per writer, three uploads of distinct sizes and amounts: any set of whole uploads has its own totals.
UPLOADS = {"p": [(301, 1), (517, 10), (709, 100)], "q": [(203, 1000), (411, 10000), (613, 100000)]}
TOTALS = ("SELECT (SELECT count(*) FROM opportunities), (SELECT coalesce(sum(amount), 0) FROM opportunities), "
          "(SELECT count(*) FROM uploads), (SELECT count(DISTINCT upload_id) FROM uploads)")
# Reads as fast as it can but leaves the writers some of the machine's time.
READER = """
import json, os, sys, time
from analytics import stores
cfg = stores.resolve()
seen, stop = set(), sys.argv[1]
while not os.path.exists(stop):
    with stores.reading(cfg) as con:
        seen.add(tuple(con.execute(sys.argv[2]).fetchall()[0]))
    time.sleep(0.02)
print(json.dumps(sorted(seen)))
"""
DEALS_METRIC = re.compile(r"^Opportunities\s+([\d,]+)$")


def crm(prefix: str, n: int, amount: int) -> str:
    rows = "".join(f"{prefix}{i},Rep {i % 13},Won,2026-01-{1 + i % 28:02d},{amount}\n" for i in range(n))
    return "opportunity_id,sales_agent,deal_stage,close_date,close_value\n" + rows


def whole_upload_states() -> set[tuple]:
    """(deals, amount, uploads) for every set of finished uploads (each writer's in its own order)."""
    states = set()
    for pick in itertools.product(range(4), repeat=2):       # how many of p's and of q's uploads are done
        done = UPLOADS["p"][:pick[0]] + UPLOADS["q"][:pick[1]]
        states.add((BASE + sum(n for n, _ in done), float(BASE + sum(n * a for n, a in done)), 1 + len(done)))
    assert len(states) == 16 and len({deals for deals, _, _ in states}) == 16
    return states


def deals_shown(page, url: str) -> int:
    """Open the What's loaded page afresh (a new script run) and read its Opportunities count."""
    page.goto(url + "/loaded")
    metric = page.locator('[data-testid="stMetric"]', has_text="Opportunities")
    metric.wait_for(timeout=90_000)
    text = " ".join(metric.inner_text().split())
    found = DEALS_METRIC.match(text)
    assert found, f"unexpected metric text {text!r}"
    return int(found.group(1).replace(",", ""))


def test_replicas_and_readers_see_whole_uploads_and_two_writers_lose_or_repeat_none(shared_store, tmp_path):
    from playwright.sync_api import sync_playwright

    cfg = shared_store.cfg
    env = {k: v for k, v in os.environ.items() if k not in (settings.TRUSTED_HEADER_ENV, settings.ROLES_ENV)}
    env.update({"HUDDLE_STORE": cfg.spec(), "HUDDLE_DATA_PATH": cfg.data_path, "PYTHONPATH": str(ROOT),
                "HUDDLE_REFRESH": "skip", settings.WRITE_WAIT_ENV: "600"})   # a loaded machine: wait, not fail
    (tmp_path / "base.csv").write_text(crm("base", BASE, 1))
    files = {}
    for w, ups in UPLOADS.items():
        files[w] = []
        for i, (n, amount) in enumerate(ups):
            path = tmp_path / f"{w}{i}.csv"
            path.write_text(crm(f"{w}{i}-", n, amount))
            files[w].append(str(path))
    started = time.monotonic()

    def step(what: str) -> None:    # shown with a failure: where the time went
        print(f"{time.monotonic() - started:6.1f} s  {what}", flush=True)

    servers = [Server(env, tmp_path / f"replica{i}.log") for i in range(2)]     # started while the base loads
    replicas = [(server.proc, server.url) for server in servers]
    stop = tmp_path / "stop"
    reader = writers = None
    try:
        lake_write.write(shared_store, ingest_file, "crm", tmp_path / "base.csv")
        step("base upload done")
        try:
            for server in servers:
                server.wait_healthy(120)
        except ServerFailed as exc:
            pytest.fail(str(exc))
        step("replicas healthy")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            pages = [browser.new_page() for _ in replicas]
            # Each replica has opened the lake and shows the base upload before the writers start.
            assert [deals_shown(page, url) for page, (_, url) in zip(pages, replicas)] == [BASE, BASE]
            step("replicas show the base upload")
            reader = subprocess.Popen([sys.executable, "-c", READER, str(stop), TOTALS], env=env, cwd=ROOT,
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            writers = [subprocess.Popen([sys.executable, "-m", "analytics", "ingest", "crm", *paths, "--json"],
                                        env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                       for paths in files.values()]
            shown: list[set[int]] = [set(), set()]
            while any(w.poll() is None for w in writers):
                for i, (page, (_, url)) in enumerate(zip(pages, replicas)):
                    shown[i].add(deals_shown(page, url))
                time.sleep(0.3)     # the writers need the machine too
            step(f"writers done; replicas showed {shown}")
            outs = [w.communicate(timeout=600) for w in writers]
            final_shown = [deals_shown(page, url) for page, (_, url) in zip(pages, replicas)]
            browser.close()
    finally:
        stop.touch()
        for server in servers:
            server.stop()
    out, err = reader.communicate(timeout=120)
    assert reader.returncode == 0, err
    seen = {tuple(row) for row in json.loads(out.strip().splitlines()[-1])}
    for w, (writer, (out, err)) in zip(UPLOADS, zip(writers, outs)):
        assert writer.returncode == 0, err
        inserted = [json.loads(line)["rows_inserted"] for line in out.splitlines() if line.startswith("{")]
        assert inserted == [n for n, _ in UPLOADS[w]]
    valid = whole_upload_states()
    observed = {(deals, float(amount), n_uploads) for deals, amount, n_uploads, distinct in seen}
    assert all(distinct == n for _, _, n, distinct in seen), "an upload id repeats"
    assert observed <= valid, f"half-applied states seen: {observed - valid}"
    assert len(observed) >= 3, "the reader saw too little of the writes to prove anything"
    valid_deals = {deals for deals, _, _ in valid}
    for i, counts in enumerate(shown):
        assert counts, f"replica {i} was not read while the writers ran"
        assert counts <= valid_deals, f"replica {i} showed half an upload: {counts - valid_deals}"
    with stores.reading(cfg) as con:
        final = con.execute(TOTALS).fetchall()[0]
        ids = [r[0] for r in con.execute("SELECT upload_id FROM uploads ORDER BY 1").fetchall()]
    assert (final[0], float(final[1]), final[2]) == max(valid)
    assert final_shown == [final[0], final[0]], "a replica does not show the other writers' uploads"
    assert ids == list(range(1, 8))
