"""The staging pass's shortcuts read the file as the plain way would: untrimmed columns, the decimal-comma shapes,
builds run in their written join order, a re-upload that writes nothing but its upload record; change-detection
hashes stored as integers, and a database with text hashes migrated to them."""

from __future__ import annotations

import duckdb

from analytics import db
from analytics.db import sql
from analytics.ingest import convert as cv
from analytics.ingest.kinds import KINDS
from analytics.ingest.load import ingest_file
from analytics.ingest.rebuild import reads_only_src
from analytics.ingest.source_rows import integer_hashes
from analytics.ingest.staging import Context
from conftest import snapshot

# Edges trim() removes (U+0020, the Unicode space separators) and what it keeps (tab), beside plain values.
VALUES = [("a", " a", "é", "x\u00a0", "\t", "plain", "Zoë"),
          ("b", "b", "\u3000é", "y", "t\t", "plain", "Zoë\u202f"),
          ("", "c ", "ü", "z", None, "plain", "Zoë")]


def _raw(values):
    con = duckdb.connect()
    cols = len(values[0])
    con.execute("CREATE TEMP TABLE raw_rows (" + ", ".join(f"c{i} VARCHAR" for i in range(cols)) + ")")
    con.executemany(f"INSERT INTO raw_rows VALUES ({', '.join('?' * cols)})", values)
    return con


def test_a_column_is_left_untrimmed_only_when_no_value_has_a_space_trim_would_remove():
    con = _raw(VALUES)
    ctx = Context(con=con, kind="crm", headers=list("abcdefg"), mapping={f: i for i, f in enumerate("abcdefg")},
                  delimiter=",", format=None)
    for i in range(7):
        fast = con.execute(f"SELECT list({ctx.v(f'c{i}')} ORDER BY rowid) FROM raw_rows").fetchone()[0]
        plain = con.execute(f"SELECT list({cv.v(f'c{i}')} ORDER BY rowid) FROM raw_rows").fetchone()[0]
        assert fast == plain, i
    assert ctx.untrimmed == {"c0", "c4", "c5"}


def test_decimal_commas_are_told_from_decimal_points_by_the_shapes_of_the_distinct_values():
    con = _raw([("1.234,56",), ("EUR 99,00",), ("12,5",), ("1,000.00",), ("",), (None,)])
    assert cv.infer_decimal_comma(con, "c0", ",") is True
    con = _raw([("$1,234.56",), ("99.00",), ("12,50 €",), ("7.5",)])
    assert cv.infer_decimal_comma(con, "c0", ";") is False
    assert cv.infer_decimal_comma(_raw([("100",), ("250",)]), "c0", ";") is True    # no decimals: the delimiter


def test_only_builds_that_read_nothing_but_src_and_the_aliases_pin_their_join_order():
    assert reads_only_src(sql("build/opportunities.sql"))
    assert reads_only_src(sql("build/quiz_attempts.sql"))
    assert not reads_only_src(sql("build/activities.sql"))          # it also reads the opportunities
    assert not reads_only_src("SELECT * FROM src JOIN reps USING (rep_id)")


CRM = ("Opportunity ID,Opportunity Name,Account Name,Opportunity Owner,Stage,Close Date,Amount\n"
       "006A,Renewal 2026, Acme ,Ann Lee,Closed Won,2026-01-05,\"1.250,00 €\"\n"
       "006B,Expansion,Globex,Zoë Ek\u00a0,Closed Lost,2026-01-06,\"50,00 €\"\n"
       "006C,New logo,Initech,Ann Lee,Prospecting,,\"70,00 €\"\n")


def test_an_upload_reads_trimmed_values_and_restores_the_optimizer_and_a_reupload_writes_only_its_record(
        fresh_db, write):
    path = write("opps.csv", CRM)
    first = ingest_file(fresh_db, "crm", path)
    assert (first.rows_inserted, first.rows_rejected) == (3, 0)
    assert fresh_db.execute("SELECT account_name, owner_name, amount FROM opportunities ORDER BY amount").fetchall() \
        == [("Globex", "Zoë Ek", 50.0), ("Initech", "Ann Lee", 70.0), ("Acme", "Ann Lee", 1250.0)]
    assert fresh_db.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0] == ""
    before = snapshot(fresh_db)
    again = ingest_file(fresh_db, "crm", path)
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, 3)
    after = snapshot(fresh_db)
    assert [t for t in before if before[t] != after[t]] == ["uploads", "data_version"]


def _hash_types(con, table: str) -> set[str]:
    return {t for (t,) in con.execute("SELECT data_type FROM duckdb_columns() WHERE table_name = $t AND "
                                      "column_name IN ('row_hash', 'source_key')", {"t": table}).fetchall()}


def test_every_kind_but_those_listed_as_text_stores_its_hashes_as_integers(fresh_db):
    for k in KINDS.values():
        want = {"UBIGINT"} if integer_hashes(k) else {"VARCHAR"}
        for table in (k.versions, *([k.fact.table] if k.fact else [])):
            assert _hash_types(fresh_db, table) == want, table
    assert not integer_hashes(KINDS["activity"]) and integer_hashes(KINDS["crm"])


def test_a_database_with_text_hashes_migrates_and_an_export_read_again_finds_its_records_unchanged(tmp_path, write):
    path = write("opps.csv", CRM)
    new = db.connect(tmp_path / "new.duckdb")
    upload = ingest_file(new, "crm", path).upload_id
    key = dict(new.execute("SELECT right(opportunity_id, 4), opportunity_id FROM opportunities").fetchall())
    new.close()
    # The same upload as the code before schema 8 stored it: hashes as decimal text, one as the older md5 of the
    # values, and a later version retiring 006C (its source row moved to another key) marked 'retired'.
    old = duckdb.connect(str(tmp_path / "old.duckdb"))
    old.execute("CREATE TABLE schema_version (version INTEGER, applied_at TIMESTAMP)")
    for version, schema in db.migrations():
        if version < 8:
            old.execute(schema.read_text(encoding="utf-8"))
            old.execute("INSERT INTO schema_version VALUES ($v, now())", {"v": version})
    old.execute(f"ATTACH '{tmp_path / 'new.duckdb'}' AS new (READ_ONLY)")
    crm = KINDS["crm"]
    md5 = "md5(concat_ws('|', " + ", ".join(f"coalesce({c}::VARCHAR, '')" for c in crm.columns) + "))"
    text = (f"* REPLACE (CASE WHEN opportunity_id = $b THEN {md5} ELSE row_hash::VARCHAR END "
            "AS row_hash, source_key::VARCHAR AS source_key)")
    for (table,) in old.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'new' "
                                "AND table_name <> 'schema_version'").fetchall():
        columns = text if table in ("opportunity_versions", "opportunities") else "*"
        old.execute(f"INSERT INTO main.{table} BY NAME SELECT {columns} FROM new.{table}",
                    {"b": key["006B"]} if columns == text else {})
    old.execute("INSERT INTO opportunity_versions (upload_id, opportunity_id, row_hash, line_number) "
                "VALUES ($u, $c, 'retired', 4)", {"u": upload + 1, "c": key["006C"]})
    old.execute("DELETE FROM opportunities WHERE opportunity_id = $c", {"c": key["006C"]})
    old.execute("DETACH new")
    old.close()

    con = db.connect(tmp_path / "old.duckdb")
    assert _hash_types(con, "opportunity_versions") == _hash_types(con, "opportunities") == {"UBIGINT"}
    assert _hash_types(con, "activity_versions") == {"VARCHAR"}
    con.execute(f"ATTACH '{tmp_path / 'new.duckdb'}' AS new (READ_ONLY)")
    hashes = "SELECT opportunity_id, row_hash, source_key FROM {} WHERE upload_id = $u ORDER BY 1"
    migrated = con.execute(hashes.format("main.opportunity_versions"), {"u": upload}).fetchall()
    assert len(migrated) == 3 and migrated == con.execute(hashes.format("new.opportunity_versions"),
                                                          {"u": upload}).fetchall()
    con.execute("DETACH new")
    assert con.execute("SELECT row_hash FROM opportunity_versions WHERE upload_id = $u",
                       {"u": upload + 1}).fetchall() == [(None,)]
    con.execute(sql("staging/stg_latest_versions.sql"))
    assert con.execute("SELECT count(*) FROM latest_opportunities()").fetchone()[0] == 2

    header, *rows = CRM.splitlines()
    again = ingest_file(con, "crm", write("opps_later.csv", "\n".join([header, *reversed(rows)]) + "\n"))
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (1, 0, 2)   # 006C comes back
    assert con.execute("SELECT count(*) FROM opportunities").fetchone()[0] == 3


def test_duckdb_hash_still_gives_the_values_stored_records_were_keyed_by():
    # A record's identity (source_key) and change detection (row_hash) are stored hash() values: a DuckDB release
    # that hashed differently would make every stored record look new, so an upgrade that changes hash() must fail
    # here first (then the stored hashes need recomputing by a migration, as schema 8 does from md5).
    con = duckdb.connect()
    got = con.execute("SELECT hash('abc'), hash('abc', 1::INT, NULL), hash('kind' || chr(31) || 'Opportunity ID', "
                      "'A-1', '')").fetchone()
    assert got == (1924864467101078684, 12618469621586723895, 17203463564251099612)
