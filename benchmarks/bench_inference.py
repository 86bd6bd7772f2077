"""The cost of column inference on a 1M-row Salesforce report export, against the whole upload.

    .venv/bin/python benchmarks/bench_inference.py [--rows 1000000]

Writes a Salesforce-style report (quoted fields, US dates, `$` amounts, footer) with a seeded generator, loads a
small catalog and roster, then times (a) the full upload of the export (ingest_file) and (b) inference alone on the
same file: the bounded-sample profiling query, then choosing the columns (the wrong-kind check, which scores every
kind, plus the header/value scoring and the joint assignment for the kind asked). Values are
profiled on at most analytics.ingest.profile.SAMPLE_ROWS rows, so (b) should not grow with the file. Prints both
times and their ratio (the target is under 5 %). Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import csv
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from analytics import db  # noqa: E402
from analytics.ingest.choose import choose_columns, sample_profiles  # noqa: E402
from analytics.ingest.load import ingest_file  # noqa: E402
from analytics.ingest.reader import load_raw  # noqa: E402

REPS = [f"Rep {chr(65 + i % 26)}{i:03d} Name" for i in range(300)]
STAGES = np.array(["Closed Won", "Closed Lost", "Prospecting", "Needs Analysis", "Negotiation/Review"])


def write_export(path: Path, n: int, seed: int = 7) -> None:
    rng = np.random.default_rng(seed)
    close = pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")
    created = close - pd.to_timedelta(rng.integers(5, 200, n), unit="D")
    us = lambda d: d.month.astype(str) + "/" + d.day.astype(str) + "/" + d.year.astype(str)  # noqa: E731
    amount = rng.integers(1, 500, n) * 1000
    df = pd.DataFrame({
        "Opportunity Owner": np.array(REPS)[rng.integers(0, len(REPS), n)],
        "Account Name": "Account " + pd.Series(rng.integers(0, 40000, n)).astype(str),
        "Opportunity Name": "Deal " + pd.Series(np.arange(n)).astype(str),
        "Type": np.where(rng.random(n) < 0.6, "New Business", "Existing Business"),
        "Amount": "$" + pd.Series(amount).map("{:,}".format) + ".00",
        "Close Date": us(close), "Created Date": us(created),
        "Stage": STAGES[rng.integers(0, len(STAGES), n)],
        "Probability (%)": rng.integers(0, 100, n).astype(str),
    })
    with path.open("w", encoding="utf-8", newline="") as fh:
        df.to_csv(fh, index=False, quoting=csv.QUOTE_ALL, lineterminator="\n")
        fh.write('\n"Grand Totals (%d records)"\n"Copyright (c) 2000-2026 salesforce.com, inc. All rights reserved."\n'
                 % n)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        export = tmp / "opportunities.csv"
        t0 = time.perf_counter()
        write_export(export, args.rows)
        print(f"wrote {args.rows:,} rows ({export.stat().st_size / 1e6:.0f} MB) in {time.perf_counter() - t0:.1f} s")
        (tmp / "m.csv").write_text("Message,Launch Date\nROI Story,2024-01-01\n")
        (tmp / "r.csv").write_text("Name,Email\n" + "".join(f"{r},{i}@x.com\n" for i, r in enumerate(REPS)))
        con = db.connect(tmp / "bench.duckdb")
        ingest_file(con, "messages", tmp / "m.csv")
        ingest_file(con, "reps", tmp / "r.csv")

        raw = load_raw(con, export)
        t0 = time.perf_counter()
        sample_profiles(con, raw)
        t_profile = time.perf_counter() - t0
        t0 = time.perf_counter()
        res = choose_columns(con, "crm", raw, {}).inference     # the sample profiled again, then scored
        t_infer = time.perf_counter() - t0
        con.execute("DROP TABLE raw_rows")

        t0 = time.perf_counter()
        result = ingest_file(con, "crm", export)
        t_ingest = time.perf_counter() - t0
        con.close()
    print(f"upload (ingest_file): {t_ingest:.2f} s, {result.rows_inserted:,} rows inserted")
    print(f"inference (choose_columns): {t_infer * 1000:.0f} ms, {len(res.choices)} fields chosen; the sampling and "
          f"profiling alone, run once before it (cold): {t_profile * 1000:.0f} ms")
    print(f"inference / upload: {100 * t_infer / t_ingest:.2f} %  (target < 5 %)")


if __name__ == "__main__":
    main()
