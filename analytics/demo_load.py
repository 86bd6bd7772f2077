"""Building the demo database from the generated demo exports, through the real parsers."""

from __future__ import annotations

import os
from pathlib import Path

from . import db
from .demo import generate
from .ingest.load import ingest_file
from .refresh import refresh

# Upload order follows how a team would start: launch plan, roster, CRM, the call recorder's export (its calls link
# to those deals and reps; the message trackers run on it as it loads), LMS, feedback; then a survey export in a
# vocabulary no format knows, read by column inference (its entries repeat the field log's, so nothing changes).
DEMO_FILES = [
    ("messages", "messages.csv"),
    ("reps", "roster.csv"),
    ("crm", "salesforce_opportunities.csv"),
    ("crm", "hubspot_deals.csv"),
    ("activity", "calls.csv"),
    ("quiz", "lms_quiz_results.csv"),
    ("feedback", "field_feedback.csv"),
    ("feedback", "feedback_umfrage.csv"),
]


def build_demo(out_dir: Path, db_path: Path | None, seed: int = 7, n_reps: int = 150) -> dict:
    """Regenerate the demo CSVs into out_dir and, if db_path is given, build that database from them."""
    truth = generate(out_dir, seed=seed, n_reps=n_reps)
    summary = {"out_dir": str(out_dir), "truth": truth, "uploads": []}
    if db_path is None:
        return summary
    db_path = Path(db_path)
    tmp = db_path.with_suffix(".building")
    for p in (tmp, Path(str(tmp) + ".wal")):
        p.unlink(missing_ok=True)
    con = db.connect(tmp)
    try:
        for kind, name in DEMO_FILES:
            r = ingest_file(con, kind, Path(out_dir) / name, uploaded_by=db.DEMO_UPLOADER)
            summary["uploads"].append({"file": name, "kind": r.kind, "inserted": r.rows_inserted,
                                       "rejected": r.rows_rejected, "skipped": r.rows_skipped,
                                       "unchanged": r.rows_unchanged, "warnings": r.warnings,
                                       "columns": r.columns, "unused_columns": r.unused_columns})
        summary["precomputed"] = refresh(con)
        # The flag db.is_demo reads: the pages say plainly that this is the demo company.
        con.execute(f"CREATE TABLE {db.DEMO_FLAG_TABLE} AS SELECT $seed AS seed, $reps AS n_reps, "
                    "current_timestamp AS built_at", {"seed": seed, "reps": n_reps})
        con.execute("CHECKPOINT")
    finally:
        con.close()
    for p in (db_path, Path(str(db_path) + ".wal")):
        p.unlink(missing_ok=True)
    os.replace(tmp, db_path)
    summary["database"] = str(db_path)
    return summary


def ensure_demo_database() -> Path:
    """First run: build the demo into its own file when no database is configured and none exists yet.

    A database named by $HUDDLE_DB (or data/huddle.duckdb once it exists) is never touched: it stays empty until
    an upload. Returns the database the dashboard will open.
    """
    if db.configured_path() is None and not db.DEFAULT_DB.exists() and not db.DEMO_DB.exists():
        build_demo(db.ROOT / "data" / "demo", db.DEMO_DB)
    return db.dashboard_path()
