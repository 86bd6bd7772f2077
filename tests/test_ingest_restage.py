"""An export uploaded again byte for byte, read the same way, is not staged again: its result must be the one a full
staging would give, and any change since (an undo, other options) must stage it again."""

from __future__ import annotations

from analytics import db
from analytics.ingest.load import ingest_file, rejected_rows, undo

# A deal repeated (the last wins), a value that does not convert, a line with too many fields, a placeholder date,
# a negative amount and a report footer: every count and warning a re-upload must repeat.
EXPORT = ("opportunity_id,sales_agent,deal_stage,close_date,close_value\n"
          "A,Ann Lee,Engaging,,\n"
          "B,Ann Lee,Won,2026-01-05,100\n"
          "C,Bo Ek,Lost,2026-01-06,-20\n"
          "D,Bo Ek,Won,3999-12-31,5\n"
          "E,Cy Ng,Won,2026-01-07,call me\n"
          "F,Cy Ng,Won,2026-01-08,5,extra\n"
          "B,Ann Lee,Lost,2026-01-09,0\n"
          "Grand Total,,,,125\n")


def _two_uploads(folder, second: str) -> tuple[dict, list]:
    """Upload EXPORT, then `second` under the same file name, into a new database: the second result and rejects."""
    folder.mkdir()
    con = db.connect(folder / "huddle.duckdb")
    (folder / "first.csv").write_text(EXPORT)
    (folder / "again.csv").write_text(second)
    ingest_file(con, "crm", folder / "first.csv", file_name="deals.csv", uploaded_by="test")
    r = ingest_file(con, "crm", folder / "again.csv", file_name="deals.csv", uploaded_by="test")
    rows = rejected_rows(con, r.upload_id).values.tolist()
    con.close()
    return r.to_json(), rows


def test_the_same_bytes_again_report_what_staging_them_again_reports(tmp_path):
    same, same_rejects = _two_uploads(tmp_path / "same", EXPORT)
    # one more empty line at the end: other bytes (so staged in full), the same rows
    staged, staged_rejects = _two_uploads(tmp_path / "other", EXPORT + "\n")
    assert (same["rows_inserted"], same["rows_updated"], same["rows_unchanged"], same["rows_rejected"]) == (0, 0, 5, 2)
    assert same == staged
    assert same_rejects == staged_rejects and len(same_rejects) == 2
    assert any("placeholder" in w for w in same["warnings"]) and any("last occurrence" in w for w in same["warnings"])


def test_the_same_bytes_after_an_undo_are_staged_again(fresh_db, write):
    path = write("deals.csv", EXPORT)
    first = ingest_file(fresh_db, "crm", path)
    ingest_file(fresh_db, "crm", path)
    undo(fresh_db, first.upload_id)
    assert fresh_db.execute("SELECT count(*) FROM opportunities").fetchone()[0] == 0
    r = ingest_file(fresh_db, "crm", path)
    assert (r.rows_inserted, r.rows_unchanged) == (4, 1)      # the earlier B counts as unchanged, as always
    assert fresh_db.execute("SELECT count(*) FROM opportunities").fetchone()[0] == 4


def test_the_same_bytes_with_another_stage_map_are_staged_again(fresh_db, write):
    path = write("deals.csv", EXPORT)
    ingest_file(fresh_db, "crm", path)
    r = ingest_file(fresh_db, "crm", path, stage_map={"Won": "open"}, dry_run=True)
    assert (r.rows_updated, r.rows_unchanged) == (1, 4) and r.details["stage_map"]["Won"] == "open"

