"""Three reader processes and two command-line writers on one DuckLake: readers see whole uploads only, and every
upload is there once. (A writer killed mid-upload: tests/test_shared_store.py.)"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT

from analytics import stores

# DuckLake's extensions exist for duckdb 1.5.5 only: `make test` runs these in .venv-lake (see Makefile).
pytestmark = pytest.mark.lake

BASE = 50
# Per writer, three uploads of distinct sizes and amounts: any set of whole uploads has its own totals.
UPLOADS = {"p": [(301, 1), (517, 10), (709, 100)], "q": [(203, 1000), (411, 10000), (613, 100000)]}
TOTALS = ("SELECT (SELECT count(*) FROM opportunities), (SELECT coalesce(sum(amount), 0) FROM opportunities), "
          "(SELECT count(*) FROM uploads), (SELECT count(DISTINCT upload_id) FROM uploads)")
READER = """
import json, sys, time
from analytics import stores
cfg = stores.resolve()
seen, stop = set(), sys.argv[1]
import os

while not os.path.exists(stop):
    with stores.reading(cfg) as con:
        seen.add(tuple(con.execute(sys.argv[2]).fetchall()[0]))
print(json.dumps(sorted(seen)))
"""


def crm(prefix: str, n: int, amount: int) -> str:
    rows = "".join(f"{prefix}{i},Rep {i % 13},Won,2026-01-{1 + i % 28:02d},{amount}\n" for i in range(n))
    return "opportunity_id,sales_agent,deal_stage,close_date,close_value\n" + rows


def whole_upload_states() -> set[tuple]:
    """(deals, amount, uploads) for every set of finished uploads (each writer's in its own order)."""
    sizes = [u for w in UPLOADS.values() for u in w]
    states = set()
    for pick in itertools.product(range(4), repeat=2):       # how many of p's and of q's uploads are done
        done = UPLOADS["p"][:pick[0]] + UPLOADS["q"][:pick[1]]
        states.add((BASE + sum(n for n, _ in done), float(BASE + sum(n * a for n, a in done)), 1 + len(done)))
    assert len(states) == 16 and len(sizes) == 6
    return states


def test_readers_see_whole_uploads_and_two_writers_lose_or_repeat_none(shared_store, tmp_path):
    cfg = shared_store.cfg
    env = {**os.environ, "HUDDLE_STORE": cfg.spec(), "HUDDLE_DATA_PATH": cfg.data_path, "PYTHONPATH": str(ROOT),
           "HUDDLE_REFRESH": "skip"}
    (tmp_path / "base.csv").write_text(crm("base", BASE, 1))
    files = {}
    for w, ups in UPLOADS.items():
        files[w] = []
        for i, (n, amount) in enumerate(ups):
            path = tmp_path / f"{w}{i}.csv"
            path.write_text(crm(f"{w}{i}-", n, amount))
            files[w].append(str(path))
    base = subprocess.run([sys.executable, "-m", "analytics", "ingest", "crm", str(tmp_path / "base.csv")],
                          env=env, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert base.returncode == 0, base.stderr
    stop = tmp_path / "stop"
    readers = [subprocess.Popen([sys.executable, "-c", READER, str(stop), TOTALS], env=env, cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    writers = [subprocess.Popen([sys.executable, "-m", "analytics", "ingest", "crm", *paths, "--json"], env=env,
                                cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
               for paths in files.values()]
    try:
        outs = [w.communicate(timeout=600) for w in writers]
    finally:
        stop.touch()
    seen = set()
    for r in readers:
        out, err = r.communicate(timeout=120)
        assert r.returncode == 0, err
        seen |= {tuple(row) for row in json.loads(out.strip().splitlines()[-1])}
    for w, (out, err) in zip(writers, outs):
        assert w.returncode == 0, err
        assert [json.loads(line)["rows_inserted"] for line in out.splitlines() if line.startswith("{")] == [n for n, _ in UPLOADS[
            "p" if w is writers[0] else "q"]]
    valid = whole_upload_states()
    observed = {(deals, float(amount), n_uploads) for deals, amount, n_uploads, distinct in seen}
    assert all(distinct == n for _, _, n, distinct in seen), "an upload id repeats"
    assert observed <= valid, f"half-applied states seen: {observed - valid}"
    assert len(observed) >= 3, "the readers saw too little of the writes to prove anything"
    with stores.reading(cfg) as con:
        final = con.execute(TOTALS).fetchall()[0]
        ids = [r[0] for r in con.execute("SELECT upload_id FROM uploads ORDER BY 1").fetchall()]
    assert (final[0], float(final[1]), final[2]) == max(valid)
    assert ids == list(range(1, 8))
