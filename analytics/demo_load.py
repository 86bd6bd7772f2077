"""Building the demo database from the generated demo exports, through the real parsers."""

from __future__ import annotations

import os
from pathlib import Path

from . import db
from .demo import generate
from .ingest.load import ingest_file
from .refresh import refresh

# Upload order follows how a team would start: launch plan, roster, CRM, LMS, feedback.
DEMO_FILES = [
    ("messages", "messages.csv"),
    ("reps", "roster.csv"),
    ("crm", "salesforce_opportunities.csv"),
    ("crm", "hubspot_deals.csv"),
    ("quiz", "lms_quiz_results.csv"),
    ("feedback", "field_feedback.csv"),
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
            r = ingest_file(con, kind, Path(out_dir) / name, uploaded_by="demo")
            summary["uploads"].append({"file": name, "kind": r.kind, "inserted": r.rows_inserted,
                                       "rejected": r.rows_rejected, "skipped": r.rows_skipped})
        summary["precomputed"] = refresh(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    for p in (db_path, Path(str(db_path) + ".wal")):
        p.unlink(missing_ok=True)
    os.replace(tmp, db_path)
    summary["database"] = str(db_path)
    return summary


def ensure_demo_database(db_path: Path | None = None) -> Path:
    """Build the demo database when no database exists yet (first run)."""
    path = db.resolve_path(db_path)
    if not path.exists():
        build_demo(db.ROOT / "data" / "demo", path)
    return path
