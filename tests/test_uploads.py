"""Upload lifecycle: idempotency, later exports, duplicates, undo, atomicity, and the CLI's public interface."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from analytics import db
from analytics.ingest.load import ingest_file, list_uploads, rejected_rows, undo
from conftest import ROOT, snapshot

V1 = ("opportunity_id,sales_agent,deal_stage,close_date,close_value\n"
      "A,Ann Lee,Engaging,,\nB,Ann Lee,Won,2026-01-05,100\nC,Bo Ek,Lost,2026-01-06,0\n")
V2 = ("opportunity_id,sales_agent,deal_stage,close_date,close_value\n"
      "A,Ann Lee,Won,2026-02-01,250\nB,Ann Lee,Won,2026-01-05,100\nD,Bo Ek,Engaging,,\n")


def test_reuploading_the_same_export_changes_nothing(fresh_db, write):
    path = write("x.csv", V1)
    ingest_file(fresh_db, "crm", path)
    before = {t: v for t, v in snapshot(fresh_db).items() if t not in ("uploads", "data_version")}
    r = ingest_file(fresh_db, "crm", path)
    assert (r.rows_inserted, r.rows_updated, r.rows_unchanged) == (0, 0, 3)
    after = {t: v for t, v in snapshot(fresh_db).items() if t not in ("uploads", "data_version")}
    assert after == before


def test_a_later_export_updates_changed_deals_and_adds_new_ones(fresh_db, write):
    ingest_file(fresh_db, "crm", write("v1.csv", V1))
    r = ingest_file(fresh_db, "crm", write("v2.csv", V2))
    assert (r.rows_inserted, r.rows_updated, r.rows_unchanged) == (1, 1, 1)
    got = dict(fresh_db.execute("SELECT opportunity_id, outcome FROM opportunities").fetchall())
    assert got == {"generic:A": "won", "generic:B": "won", "generic:C": "lost", "generic:D": "open"}


def test_duplicated_records_inside_one_file_keep_the_last_and_are_reported(fresh_db, write):
    text = V1 + "B,Ann Lee,Lost,2026-01-09,0\n"
    r = ingest_file(fresh_db, "crm", write("x.csv", text))
    assert r.rows_inserted == 3 and any("last occurrence was kept" in w for w in r.warnings)
    assert fresh_db.execute("SELECT outcome FROM opportunities WHERE opportunity_id = 'generic:B'"
                            ).fetchone()[0] == "lost"


def test_undo_removes_inserted_records_and_restores_updated_ones(fresh_db, write):
    ingest_file(fresh_db, "crm", write("v1.csv", V1))
    state_after_v1 = fresh_db.execute("SELECT * FROM opportunities ORDER BY opportunity_id").fetchall()
    r2 = ingest_file(fresh_db, "crm", write("v2.csv", V2))
    out = undo(fresh_db, r2.upload_id)
    assert out["versions_removed"] == 2
    restored = fresh_db.execute("SELECT * FROM opportunities ORDER BY opportunity_id").fetchall()
    # upload_id of each row is that of its version; everything else is back to the v1 state.
    assert restored == state_after_v1
    assert list_uploads(fresh_db).set_index("upload_id").loc[r2.upload_id, "status"] == "undone"


def test_an_undone_upload_cannot_be_undone_twice(fresh_db, write):
    from analytics.ingest.errors import IngestError
    r = ingest_file(fresh_db, "crm", write("v1.csv", V1))
    undo(fresh_db, r.upload_id)
    with pytest.raises(IngestError, match="already undone"):
        undo(fresh_db, r.upload_id)


def test_an_exception_in_the_middle_of_an_upload_leaves_the_database_exactly_as_it_was(fresh_db, write):
    ingest_file(fresh_db, "crm", write("v1.csv", V1))
    before = snapshot(fresh_db)
    with pytest.raises(RuntimeError, match="simulated failure"):
        ingest_file(fresh_db, "crm", write("v2.csv", V2), _fail_after_versions=True)
    assert snapshot(fresh_db) == before


def test_a_dry_run_previews_counts_and_writes_nothing(fresh_db, write):
    ingest_file(fresh_db, "crm", write("v1.csv", V1))
    before = snapshot(fresh_db)
    r = ingest_file(fresh_db, "crm", write("v2.csv", V2), dry_run=True)
    assert (r.rows_inserted, r.rows_updated, r.rows_unchanged) == (1, 1, 1) and r.dry_run
    assert snapshot(fresh_db) == before


def test_rejected_rows_keep_their_raw_values_for_download(fresh_db, write):
    text = V1 + "E,Ann Lee,Won,not a date,5\n"
    r = ingest_file(fresh_db, "crm", write("x.csv", text))
    rows = rejected_rows(fresh_db, r.upload_id)
    assert rows["line_number"].tolist() == [5]
    assert json.loads(rows["raw_json"][0])["close_date"] == "not a date"


def test_hostile_names_are_stored_as_text_and_nothing_else_changes(fresh_db, write):
    evil = "Robert'); DROP TABLE opportunities;--"
    text = f'opportunity_id,sales_agent,deal_stage,close_date\n1,"{evil}",Won,2026-01-01\n'
    ingest_file(fresh_db, "crm", write("evil.csv", text))
    assert fresh_db.execute("SELECT owner_name FROM opportunities").fetchone()[0] == evil
    ingest_file(fresh_db, "crm", write("x.csv", V1), column_map={"owner_name": "sales_agent"})
    assert fresh_db.execute("SELECT count(*) FROM opportunities").fetchone()[0] == 4


def test_an_older_database_without_the_newest_schema_still_opens(tmp_path):
    import duckdb
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMP)")
    con.close()
    con = db.connect(path)
    assert con.execute("SELECT max(version) FROM schema_version").fetchone()[0] == db.migrations()[-1][0]
    con.close()


def test_two_schema_files_with_one_version_number_are_refused_not_skipped(tmp_path, monkeypatch):
    (tmp_path / "schema").mkdir()
    for name in ("001_init.sql", "002_a.sql", "002_b.sql"):
        (tmp_path / "schema" / name).write_text("SELECT 1;")
    monkeypatch.setattr(db, "SQL_DIR", tmp_path)
    with pytest.raises(RuntimeError, match="002_a.sql and 002_b.sql share version 2"):
        db.migrations()


def test_the_bundled_schema_files_have_distinct_version_numbers():
    versions = [v for v, _ in db.migrations()]
    assert versions == sorted(set(versions))


def run_cli(*args, env_db=None):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)}
    if env_db:
        env["HUDDLE_DB"] = str(env_db)
    return subprocess.run([sys.executable, "-m", "analytics", *args], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def test_cli_ingest_json_prints_the_documented_keys(tmp_path, write):
    p = write("v1.csv", V1)
    res = run_cli("ingest", "crm", str(p), "--db", str(tmp_path / "c.duckdb"), "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    for key in ("upload_id", "kind", "file", "source_format", "rows_read", "rows_inserted", "rows_updated",
                "rows_unchanged", "rows_rejected", "rows_skipped", "rejects", "warnings"):
        assert key in out
    assert out["rows_inserted"] == 3


def test_cli_uses_the_huddle_db_environment_variable(tmp_path, write):
    target = tmp_path / "env.duckdb"
    res = run_cli("ingest", "crm", str(write("v1.csv", V1)), env_db=target)
    assert res.returncode == 0 and target.exists()
    listing = run_cli("uploads", "--json", env_db=target)
    assert json.loads(listing.stdout)[0]["file_name"] == "v1.csv"


def test_cli_bad_file_exits_2_with_one_line_and_no_traceback(tmp_path, write):
    dbp = tmp_path / "c.duckdb"
    run_cli("ingest", "crm", str(write("v1.csv", V1)), "--db", str(dbp))
    con = db.connect(dbp)
    before = snapshot(con)
    con.close()
    res = run_cli("ingest", "crm", str(write("empty.csv", "")), "--db", str(dbp))
    assert res.returncode == 2
    assert res.stderr.strip().count("\n") == 0 and "Traceback" not in res.stderr and "empty" in res.stderr
    con = db.connect(dbp)
    assert snapshot(con) == before
    con.close()


def test_cli_undo_and_unmatched_reps(tmp_path, write):
    dbp = tmp_path / "c.duckdb"
    out = json.loads(run_cli("ingest", "crm", str(write("v1.csv", V1)), "--db", str(dbp), "--json").stdout)
    reps = json.loads(run_cli("reps", "--unmatched", "--json", "--db", str(dbp)).stdout)
    assert sorted(r["rep_name"] for r in reps) == ["Ann Lee", "Bo Ek"]
    res = run_cli("undo", str(out["upload_id"]), "--db", str(dbp), "--json")
    assert json.loads(res.stdout)["versions_removed"] == 3
    assert run_cli("undo", "99", "--db", str(dbp)).returncode == 2
