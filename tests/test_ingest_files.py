"""File-level quirks: encodings, delimiters, footers, dates in every spelling, and files that are not exports."""

from __future__ import annotations

import zipfile
from datetime import date, datetime

import pytest

from analytics.ingest.errors import IngestError
from analytics.ingest.load import ingest_file
from conftest import snapshot

GENERIC = "opportunity_id,sales_agent,deal_stage,close_date\n1,José García,Won,2026-01-05\n2,Ann Lee,Lost,2026-02-06\n"


@pytest.mark.parametrize("encoding,label", [
    ("utf-8", "utf-8"), ("utf-8-sig", "utf-8 (with BOM)"), ("utf-16", "utf-16"), ("cp1252", "cp1252")])
def test_every_common_encoding_reads_the_same_names_and_says_which_was_used(fresh_db, write, encoding, label):
    r = ingest_file(fresh_db, "crm", write("x.csv", GENERIC, encoding=encoding))
    assert r.encoding == label
    assert r.rows_inserted == 2
    assert fresh_db.execute("SELECT owner_name FROM opportunities ORDER BY 1").fetchall() == [
        ("Ann Lee",), ("José García",)]


def test_latin1_bytes_undefined_in_cp1252_fall_back_to_iso_8859_1(fresh_db, write):
    data = GENERIC.replace("Ann Lee", "Ann\x81Lee").encode("latin-1")
    r = ingest_file(fresh_db, "crm", write("x.csv", data))
    assert r.encoding == "iso-8859-1"


@pytest.mark.parametrize("delim", [",", ";", "\t"])
def test_the_delimiter_is_sniffed(fresh_db, write, delim):
    r = ingest_file(fresh_db, "crm", write("x.csv", GENERIC.replace(",", delim)))
    assert r.rows_inserted == 2
    assert r.delimiter == {"\t": "tab"}.get(delim, delim)


def test_moodle_overall_average_row_is_skipped_and_counted(fresh_db, write):
    text = ("First name,Last name,Email address,Quiz,Started on,Grade/10.00\n"
            "Ann,Lee,ann@x.com,Certification: Alpha,2026-03-12 09:41,8.50\n"
            "Overall average,,,,,8.50\n")
    r = ingest_file(fresh_db, "quiz", write("grades.csv", text))
    assert (r.rows_inserted, r.rows_skipped, r.rows_rejected) == (1, 1, 0)


@pytest.mark.parametrize("values,expected", [
    (["2026-01-05", "2026-12-31"], [date(2026, 1, 5), date(2026, 12, 31)]),
    (["1/5/2026", "12/31/2026"], [date(2026, 1, 5), date(2026, 12, 31)]),
    (["5/1/2026", "31/12/2026"], [date(2026, 1, 5), date(2026, 12, 31)]),
    (["05.01.2026", "31.12.2026"], [date(2026, 1, 5), date(2026, 12, 31)]),
    (["05-01-26", "31-12-26"], [date(2026, 1, 5), date(2026, 12, 31)]),
    (["2026-01-05T23:30:00.000+0000", "2026-12-31T08:00:00Z"], [date(2026, 1, 5), date(2026, 12, 31)]),
    (["46027", "46387"], [date(2026, 1, 5), date(2026, 12, 31)]),
])
def test_date_columns_are_read_in_the_format_all_their_values_agree_on(fresh_db, write, values, expected):
    text = "opportunity_id,sales_agent,deal_stage,close_date\n" + "".join(
        f"{i},A B,Won,{v}\n" for i, v in enumerate(values))
    r = ingest_file(fresh_db, "crm", write("d.csv", text))
    assert r.rows_rejected == 0
    got = [d for (d,) in fresh_db.execute("SELECT close_date FROM opportunities ORDER BY opportunity_id").fetchall()]
    assert got == expected


def test_a_column_where_every_date_is_ambiguous_says_so_and_uses_the_exports_locale(fresh_db, write):
    text = "opportunity_id,sales_agent,deal_stage,close_date\n1,A B,Won,3/4/2026\n2,A B,Won,5/6/2026\n"
    r = ingest_file(fresh_db, "crm", write("d.csv", text))
    assert any("ambiguous" in w for w in r.warnings)
    assert fresh_db.execute("SELECT min(close_date) FROM opportunities").fetchone()[0] == date(2026, 3, 4)
    semi = text.replace(",", ";")
    r2 = ingest_file(fresh_db, "crm", write("d2.csv", semi), stage_map={})
    assert any("locale" in w or "ambiguous" in w for w in r2.warnings)


def test_a_forced_date_format_overrides_inference(fresh_db, write):
    text = "opportunity_id,sales_agent,deal_stage,close_date\n1,A B,Won,3/4/2026\n"
    ingest_file(fresh_db, "crm", write("d.csv", text), date_formats={"close_date": "DMY"})
    assert fresh_db.execute("SELECT close_date FROM opportunities").fetchone()[0] == date(2026, 4, 3)


def test_an_impossible_date_rejects_its_row_with_line_and_reason_and_the_rest_loads(fresh_db, write):
    text = "opportunity_id,sales_agent,deal_stage,close_date\n1,A B,Won,2026-01-05\n2,A B,Won,2026-02-30\n"
    r = ingest_file(fresh_db, "crm", write("d.csv", text))
    assert r.rows_inserted == 1 and r.rejects == [
        {"line": 3, "reason": "close_date: cannot read '2026-02-30' as a date (YYYY-MM-DD)"}]
    raw = fresh_db.execute("SELECT raw_json FROM rejected_rows").fetchone()[0]
    assert '"close_date":"2026-02-30"' in raw.replace(" ", "")


def test_quiz_timestamps_keep_their_time_of_day_and_time_zone(fresh_db, write):
    iso = "Email,Module,Timestamp,Score\na@x.com,Alpha,2026-03-12T09:41:00-05:00,90\n"
    us = "Email,Module,Timestamp,Score\nb@x.com,Alpha,3/13/2026 4:05 PM,85%\nb@x.com,Alpha,3/14/2026 12:10 AM,85%\n"
    ingest_file(fresh_db, "quiz", write("q1.csv", iso))
    ingest_file(fresh_db, "quiz", write("q2.csv", us))
    got = [t for (t,) in fresh_db.execute("SELECT attempted_at FROM quiz_attempts ORDER BY 1").fetchall()]
    assert got == [datetime(2026, 3, 12, 14, 41), datetime(2026, 3, 13, 16, 5), datetime(2026, 3, 14, 0, 10)]


def test_a_date_column_mixing_formats_reads_the_majority_and_rejects_the_rest(fresh_db, write):
    text = ("opportunity_id,sales_agent,deal_stage,close_date\n1,A B,Won,2026-01-05\n2,A B,Won,2026-01-06\n"
            "3,A B,Won,7/1/2026\n")
    r = ingest_file(fresh_db, "crm", write("d.csv", text))
    assert r.rows_inserted == 2 and r.rejects[0]["line"] == 4


@pytest.mark.parametrize("content,message", [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (b"just one line without any delimiter", "no delimiter"),
])
def test_files_that_are_not_exports_fail_with_one_clear_line_and_change_nothing(fresh_db, write, content, message):
    ingest_file(fresh_db, "crm", write("ok.csv", GENERIC))
    before = snapshot(fresh_db)
    with pytest.raises(IngestError, match=message):
        ingest_file(fresh_db, "crm", write("bad.csv", content))
    assert snapshot(fresh_db) == before


def test_a_zip_archive_is_refused(fresh_db, tmp_path):
    p = tmp_path / "export.zip"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("a.csv", GENERIC)
    with pytest.raises(IngestError, match="archive"):
        ingest_file(fresh_db, "crm", p)


def test_a_file_of_the_wrong_kind_is_refused_and_changes_nothing(fresh_db, write):
    before = snapshot(fresh_db)
    with pytest.raises(IngestError, match="not a quiz export"):
        ingest_file(fresh_db, "quiz", write("x.csv", GENERIC))
    assert snapshot(fresh_db) == before


def test_a_hundred_megabyte_single_line_is_refused(fresh_db, tmp_path):
    p = tmp_path / "one_line.csv"
    with p.open("wb") as fh:
        for _ in range(100):
            fh.write(b"a" * (1 << 20))
    with pytest.raises(IngestError):
        ingest_file(fresh_db, "crm", p)


def test_rows_with_too_many_fields_are_rejected_not_shifted(fresh_db, write):
    text = GENERIC + "3,Bo Ek,Won,2026-03-01,extra\n"
    r = ingest_file(fresh_db, "crm", write("x.csv", text))
    assert r.rows_inserted == 2 and r.rejects == [{"line": 4, "reason": "expected 4 fields, found 5"}]


def test_an_impossible_date_is_not_evidence_of_day_first_order(fresh_db, write):
    text = ("opportunity_id,sales_agent,deal_stage,close_date\n1,A B,Won,11/1/2026\n2,A B,Won,31/31/2026\n"
            "3,A B,Won,2/3/2026\n")
    r = ingest_file(fresh_db, "crm", write("d.csv", text))
    assert r.rows_rejected == 1 and r.rejects[0]["line"] == 3
    assert fresh_db.execute("SELECT close_date FROM opportunities WHERE opportunity_id = 'generic:1'"
                            ).fetchone()[0] == date(2026, 11, 1)
