"""The staging pass's shortcuts read the file as the plain way would: untrimmed columns, the decimal-comma shapes,
builds run in their written join order, a re-upload that writes nothing but its upload record."""

from __future__ import annotations

import duckdb

from analytics.db import sql
from analytics.ingest import convert as cv
from analytics.ingest.load import ingest_file
from analytics.ingest.rebuild import reads_only_src
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
