"""Hostile and malformed exports of every kind: refused in one line with the database unchanged, or read as the
clean export is, or their bad values rejected with a reason. Every file is generated here, small."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time

import pytest
from conftest import ROOT, snapshot

from analytics import auth, cli, db, upload_jobs
from analytics.ingest.errors import IngestError
from analytics.ingest.kinds import KINDS, UPLOAD_KINDS
from analytics.ingest.load import ingest_file, list_uploads
from analytics.settings import MAX_COLUMNS

# One small clean export per kind: a header row, three good rows, and a row whose date cannot be read.
HEADERS = {
    "crm": ["Opportunity ID", "Opportunity Owner", "Account Name", "Stage", "Close Date", "Amount"],
    "quiz": ["Email", "Quiz", "Date", "Score"],
    "feedback": ["Date", "Rep", "Message", "Rating", "Outcome", "Notes"],
    "messages": ["Message", "Launch Date", "Target Segment", "Adoption Target"],
    "reps": ["Name", "Email", "Team", "Region", "Hire Date"],
    "activity": ["Call ID", "Call Date", "Rep Email", "Title", "Duration", "Transcript"],
}
ROWS = {
    "crm": [["1", "Ann Lee", "Acme", "Closed Won", "2025-01-02", "100"],
            ["2", "Bo Ek", "Initech", "Closed Lost", "2025-01-03", "200"],
            ["3", "Ann Lee", "Globex", "Prospecting", "", "300"]],
    "quiz": [["ann@acme.com", "Speed", "2025-01-02", "85"],
             ["bo@acme.com", "Speed", "2025-01-03", "70"],
             ["ann@acme.com", "Trust", "2025-01-04", "90"]],
    "feedback": [["2025-01-02", "Ann Lee", "Speed", "4", "positive", "liked it"],
                 ["2025-01-03", "Bo Ek", "Speed", "2", "negative", "too long"],
                 ["2025-01-04", "Ann Lee", "Trust", "5", "positive", "great"]],
    "messages": [["Speed", "2025-01-01", "Enterprise", "80%"],
                 ["Trust", "2025-02-01", "all", "70%"],
                 ["Value", "2025-03-01", "SMB", "60%"]],
    "reps": [["Ann Lee", "ann@acme.com", "East", "NA", "2024-01-01"],
             ["Bo Ek", "bo@acme.com", "West", "EMEA", "2024-02-01"],
             ["Cy Do", "cy@acme.com", "East", "NA", "2024-03-01"]],
    "activity": [["c1", "2025-01-02 10:00", "ann@acme.com", "Discovery", "0:30:00", "Ann Lee: we speed things up"],
                 ["c2", "2025-01-03 11:00", "bo@acme.com", "Demo", "0:45:10", "Bo Ek: trust us"],
                 ["c3", "2025-01-04 12:00", "ann@acme.com", "Follow-up", "600", "Ann Lee: value first"]],
}
DATE_COLUMN = {"crm": "Close Date", "quiz": "Date", "feedback": "Date", "messages": "Launch Date",
               "reps": "Hire Date", "activity": "Call Date"}


def bad_row(kind: str) -> list[str]:
    """A row like the first, under a new key, whose date says `soon`."""
    row = list(ROWS[kind][0])
    row[0] = {"crm": "9", "quiz": "cy@acme.com", "feedback": "2025-01-09", "messages": "Reach",
              "reps": "Di Fu", "activity": "c9"}[kind]
    row[HEADERS[kind].index(DATE_COLUMN[kind])] = "soon"
    return row


def export(kind: str, rows=None, headers=None, sep: str = ",", eol: str = "\n", trailing: str = "") -> str:
    lines = [sep.join(headers or HEADERS[kind])] + [sep.join(r) for r in (ROWS[kind] if rows is None else rows)]
    return "".join(line + trailing + eol for line in lines)


def one_line(text: str) -> bool:
    return "\n" not in text.strip() and "Traceback" not in text


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """A database holding one clean export of every kind, built once per module."""
    d = tmp_path_factory.mktemp("template")
    con = db.connect(d / "h.duckdb")
    for kind in ("messages", "reps", "crm", "quiz", "feedback", "activity"):
        (d / f"clean_{kind}.csv").write_text(export(kind))
        ingest_file(con, kind, d / f"clean_{kind}.csv")
    con.close()
    return d / "h.duckdb"


@pytest.fixture
def shop(template, tmp_path):
    """A private copy of the template database, and a writer of test files."""
    shutil.copy(template, tmp_path / "h.duckdb")
    con = db.connect(tmp_path / "h.duckdb")

    def write(name: str, data: str | bytes) -> str:
        p = tmp_path / name
        p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
        return p
    yield con, write
    con.close()


def refused(con, kind: str, path, name: str | None = None) -> str:
    """Upload a file that must be refused: returns the one-line message, having checked nothing changed."""
    before = snapshot(con)
    with pytest.raises(IngestError) as err:
        ingest_file(con, kind, path, file_name=name)
    assert snapshot(con) == before
    msg = str(err.value)
    assert one_line(msg) and msg.startswith(f"{name or path.name}: ")
    return msg


def same_as_clean(con, kind: str, path, rejected: int = 0):
    """Upload a variant of the clean export: it must read as the same records (nothing new, nothing changed)."""
    r = ingest_file(con, kind, path)
    assert (r.rows_inserted, r.rows_updated, r.rows_unchanged, r.rows_rejected) == (0, 0, 3, rejected), r
    return r


# ------------------------------------------------------------------ a file of another kind

@pytest.mark.parametrize("asked,actual", [(a, b) for a in UPLOAD_KINDS for b in UPLOAD_KINDS if a != b])
def test_a_file_of_another_kind_is_refused_with_the_kind_it_looks_like(shop, asked, actual):
    con, write = shop
    msg = refused(con, asked, write(f"{actual}_export.csv", export(actual)))
    assert f"not a {asked} export: this looks like {KINDS[actual].noun}" in msg
    assert f"use `ingest {actual}`" in msg and KINDS[actual].label in msg


def test_the_issues_feedback_log_as_quiz_names_the_kind_to_use(shop):
    con, write = shop
    msg = refused(con, "quiz", write("field_notes.csv", export("feedback")))
    assert msg == ("field_notes.csv: not a quiz export: this looks like a feedback log; use `ingest feedback`, or "
                   "choose Field feedback as the kind on the Data page (its columns Rating, Notes tell)")


def test_columns_named_by_hand_load_a_file_as_the_kind_asked(shop):
    con, write = shop
    text = export("feedback", [r[:4] + r[5:] for r in ROWS["feedback"]], HEADERS["feedback"][:4] + ["Notes"])
    with pytest.raises(IngestError, match="this looks like a feedback log"):
        ingest_file(con, "quiz", write("as_quiz.csv", text))
    r = ingest_file(con, "quiz", write("by_hand.csv", text), column_map={"module": "Message", "score": "Rating"})
    assert r.kind == "quiz" and r.rows_inserted == 3


@pytest.mark.parametrize("kind", UPLOAD_KINDS)
def test_the_data_page_proposes_the_kind_a_file_is(shop, kind):
    _, write = shop
    path = write("upload.bin", export(kind))
    assert upload_jobs.suggest_kind(path, f"{kind}.csv") == kind


def test_a_file_that_fits_no_kind_fully_is_proposed_as_the_closest_or_none(shop):
    _, write = shop
    assert upload_jobs.suggest_kind(write("partial.csv", "Team,Region\nEast,NA\n")) == "reps"
    assert upload_jobs.suggest_kind(write("none.csv", "colour,size\nred,9\n")) is None


# ------------------------------------------------------------------ very wide files

def wide(kind: str, n_columns: int, n_rows: int = 3) -> str:
    extra = n_columns - len(HEADERS[kind])
    headers = HEADERS[kind] + [f"Extra {i}" for i in range(extra)]
    rows = [ROWS[kind][i % 3] + ["x"] * extra for i in range(n_rows)]
    return export(kind, rows, headers)


@pytest.mark.parametrize("kind", UPLOAD_KINDS)
@pytest.mark.parametrize("n_columns", [1_500, 8_000])
def test_a_file_wider_than_any_export_is_refused_within_a_second(shop, kind, n_columns):
    con, write = shop
    path = write(f"wide_{kind}.csv", wide(kind, n_columns))
    msg = refused(con, kind, path)
    assert f"{n_columns:,} columns, more than the {MAX_COLUMNS}" in msg
    assert seconds_to_refuse(con, kind, path) < 1.0


def seconds_to_refuse(con, kind: str, path) -> float:
    t0 = time.monotonic()
    with pytest.raises(IngestError):
        ingest_file(con, kind, path)
    return time.monotonic() - t0


def test_a_wide_file_is_refused_before_its_body_is_read(shop):
    # A 20 MB body: reading it would take longer than the refusal does, and its bad line would be reported first.
    con, write = shop
    body = wide("crm", 1_500, n_rows=1).split("\n", 1)
    path = write("wide_big.csv", body[0] + "\n" + body[1] * 6_500 + "x" * (5 << 20) + "\n")
    assert "1,500 columns" in refused(con, "crm", path)
    assert seconds_to_refuse(con, "crm", path) < 1.0


@pytest.mark.parametrize("kind", UPLOAD_KINDS)
def test_a_file_at_the_column_limit_loads(shop, kind):
    con, write = shop
    same_as_clean(con, kind, write(f"at_limit_{kind}.csv", wide(kind, MAX_COLUMNS)))


def test_rows_wider_than_the_header_are_rejected_with_their_true_width(shop):
    con, write = shop
    text = export("crm") + ",".join(["4", "Ann Lee", "Acme", "Closed Won", "2025-01-02", "1"] + ["x"] * 8_000) + "\n"
    r = same_as_clean(con, "crm", write("wide_row.csv", text), rejected=1)
    assert r.rejects == [{"line": 5, "reason": "expected 6 fields, found 8006"}]


# ------------------------------------------------------------------ the user's file name, never the temp file

HOSTILE = {
    "logo.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)),
    "empty.csv": b"",
    "blank.csv": b"\n\n  \n",
    "report.csv": b"%PDF-1.7\n" + bytes(range(256)),
    "one column.csv": b"just words without a delimiter\n",
    "broken.csv": b"\xff\xfea\x00,\x00b\x00\n\x00\x00\xd8",          # UTF-16 with half a character
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
@pytest.mark.parametrize("kind", UPLOAD_KINDS)
def test_errors_name_the_users_file_never_the_temporary_one(shop, tmp_path, kind, name):
    con, _ = shop
    before = snapshot(con)
    saved = None
    if HOSTILE[name]:
        saved = upload_jobs.save_upload(HOSTILE[name], tmp_path / "session", name)
    else:
        with pytest.raises(IngestError, match=f"^{name} is empty"):
            upload_jobs.save_upload(b"", tmp_path / "session", name)
        saved = tmp_path / "session" / f"{'0' * 32}.upload"
        saved.parent.mkdir(exist_ok=True)
        saved.write_bytes(b"")
    for call in (lambda: upload_jobs.sniff(saved, name), lambda: ingest_file(con, kind, saved, file_name=name)):
        with pytest.raises(IngestError) as err:
            call()
        msg = str(err.value)
        assert msg.startswith(f"{name}: ") and ".upload" not in msg and one_line(msg)
    assert snapshot(con) == before


@pytest.mark.parametrize("kind", UPLOAD_KINDS)
def test_a_refusal_in_a_browser_upload_job_names_the_users_file(shop, tmp_path, kind):
    con, _ = shop
    other = next(k for k in UPLOAD_KINDS if k != kind)
    saved = upload_jobs.save_upload(export(other).encode(), tmp_path / "session", "Q3 export.csv")
    before = snapshot(con)
    con.close()
    job = upload_jobs.UploadJob(tmp_path / "h.duckdb", [upload_jobs.FileSpec.make(saved, "Q3 export.csv", kind)],
                                dry_run=True, user=OPS).start()
    assert job.wait(30)
    error = job.outcomes[0].error
    assert error.startswith(f"Q3 export.csv: not a {kind} export") and ".upload" not in error
    con = db.connect(tmp_path / "h.duckdb")
    assert snapshot(con) == before
    con.close()


# ------------------------------------------------------------------ header rows as spreadsheets write them

@pytest.mark.parametrize("kind", UPLOAD_KINDS)
def test_a_duplicated_column_name_reads_the_first_and_says_so(shop, kind):
    con, write = shop
    twin = HEADERS[kind][1]
    text = export(kind, [r + ["garbage"] for r in ROWS[kind]], HEADERS[kind] + [twin])
    r = same_as_clean(con, kind, write("twins.csv", text))
    n = len(HEADERS[kind]) + 1
    assert any(f"{twin!r} appears more than once (columns 2 and {n})" in w for w in r.warnings), r.warnings


@pytest.mark.parametrize("kind", UPLOAD_KINDS)
def test_a_column_without_a_name_is_not_loaded_and_said(shop, kind):
    con, write = shop
    text = export(kind, [r[:1] + ["stray"] + r[1:] for r in ROWS[kind]], HEADERS[kind][:1] + [""] + HEADERS[kind][1:])
    r = same_as_clean(con, kind, write("unnamed.csv", text))
    assert any("column 2 has no name in the header row, so its 3 value(s) are not loaded" in w for w in r.warnings)


@pytest.mark.parametrize("kind", UPLOAD_KINDS)
def test_a_trailing_delimiter_on_every_line_reads_as_the_clean_export(shop, kind):
    con, write = shop
    r = same_as_clean(con, kind, write("trailing.csv", export(kind, trailing=",")))
    assert not any("no name" in w for w in r.warnings)
    text = export(kind).replace("\n", ",\n").replace(",\n", "\n", 1)       # data lines only
    same_as_clean(con, kind, write("trailing_data.csv", text))
    same_as_clean(con, kind, write("trailing_semicolon.csv", export(kind, sep=";", trailing=";")))


@pytest.mark.parametrize("kind", UPLOAD_KINDS)
def test_report_title_lines_above_the_header_row_are_skipped(shop, kind):
    con, write = shop
    titles = f'"{KINDS[kind].label} report, Q1"\nGenerated 2025-04-01 by Ann Lee\n\n'
    r = same_as_clean(con, kind, write("titled.csv", titles + export(kind, ROWS[kind] + [bad_row(kind)])),
                      rejected=1)
    assert r.rejects[0]["line"] == 8        # physical lines: 3 above the header, the header, 3 rows, then it
    assert any("the header row is on line 4" in w for w in r.warnings)
    padded = "Pipeline report" + "," * (len(HEADERS[kind]) - 1) + "\n"          # a title padded by a spreadsheet
    same_as_clean(con, kind, write("padded.csv", padded + export(kind)))


def test_a_semicolon_header_over_rows_full_of_decimal_commas_is_the_header_and_titles_above_it_are_not(shop):
    con, write = shop
    headers = ["Opportunity ID", "Opportunity Owner", "Stage", "Close Date", "Amount", "Probability (%)", "Margin"]
    rows = [[str(i), "Ann Lee", "Closed Won", "02.01.2025", "1.234,50", "12,5", "0,25"] for i in (7, 8)]
    text = export("crm", rows, headers, sep=";")
    r = ingest_file(con, "crm", write("eu.csv", text))
    assert r.rows_inserted == 2 and r.delimiter == ";" and not any("header row" in w for w in r.warnings)
    r = ingest_file(con, "crm", write("eu_titled.csv", "Verkaufschancen, Q1\n\n" + text))
    assert r.rows_unchanged == 2 and any("the header row is on line 3" in w for w in r.warnings)
    assert con.execute("SELECT amount FROM opportunities WHERE opportunity_id LIKE '%:7'").fetchone()[0] == 1234.5


@pytest.mark.parametrize("kind", UPLOAD_KINDS)
def test_a_byte_order_mark_in_the_middle_of_a_file_is_dropped(shop, kind):
    con, write = shop
    rows = [",".join(r) + "\n" for r in ROWS[kind]]
    head = ",".join(HEADERS[kind]) + "\n"
    joined = "\ufeff" + head + rows[0] + rows[1] + "\ufeff" + head + rows[2]   # two exports joined, each with a BOM
    r = same_as_clean(con, kind, write("joined.csv", joined))
    assert r.rows_skipped == 1 and any("repeat the header row (first on line 4" in w for w in r.warnings)
    same_as_clean(con, kind, write("bom_in_row.csv", head + rows[0] + "\ufeff" + rows[1] + rows[2]))


@pytest.mark.parametrize("kind", UPLOAD_KINDS)
@pytest.mark.parametrize("breaks", [("\r\n", "\n", "\r\n", "\n"), ("\n", "\r", "\n", "\r"), ("\r",) * 4,
                                    ("\r\n", "\r\n", "\r", "\n")])
def test_mixed_line_endings_read_as_the_clean_export(shop, kind, breaks):
    con, write = shop
    lines = [",".join(HEADERS[kind])] + [",".join(r) for r in ROWS[kind] + [bad_row(kind)]]
    text = "".join(line + eol for line, eol in zip(lines, breaks + ("\n",)))
    r = same_as_clean(con, kind, write("mixed.csv", text), rejected=1)
    assert r.rejects[0]["line"] == 5


def test_a_windows_export_with_line_breaks_inside_cells_is_read_without_rewriting(shop):
    con, write = shop
    rows = [list(r) for r in ROWS["feedback"]]
    rows[0][-1] = '"liked it\nand said so"'
    text = export("feedback", rows, eol="\r\n")
    r = ingest_file(con, "feedback", write("notes.csv", text))
    assert (r.rows_inserted, r.rows_unchanged, r.warnings) == (1, 2, [])
    notes = con.execute("SELECT notes FROM feedback WHERE notes LIKE '%said so'").fetchone()[0]
    assert notes == "liked it\nand said so"


# ------------------------------------------------------------------ numbers out of range for their field

def test_quiz_scores_above_their_maximum_or_below_zero_are_rejected_not_stored(shop):
    con, write = shop
    rows = [["ann@acme.com", "Value", "2025-02-01", "150"], ["bo@acme.com", "Value", "2025-02-01", "-5"],
            ["cy@acme.com", "Value", "2025-02-01", "11 / 10"], ["di@acme.com", "Value", "2025-02-01", "95"]]
    r = ingest_file(con, "quiz", write("scores.csv", export("quiz", rows)))
    assert r.rows_inserted == 1 and [x["line"] for x in r.rejects] == [2, 3, 4]
    assert r.rejects[0]["reason"].startswith("Score: '150' is above the maximum score (100%)")
    assert r.rejects[1]["reason"] == "Score: '-5' is below zero; a score cannot be negative"
    moodle = "Email address,Quiz,Started on,Grade/10.00\nann@acme.com,Value,2025-02-02,12.50\n" \
             "bo@acme.com,Value,2025-02-02,9.00\n"
    r = ingest_file(con, "quiz", write("moodle.csv", moodle))
    assert r.rows_inserted == 1 and r.rejects[0]["reason"].startswith(
        "Grade/10.00: '12.50' is above the maximum score (10)")
    points = "Email,Quiz,Date,Points,Max Points\nann@acme.com,Value,2025-02-03,12,10\n"
    r = ingest_file(con, "quiz", write("points.csv", points))
    assert r.rows_inserted == 0 and "above the maximum score (in Max Points)" in r.rejects[0]["reason"]
    assert con.execute("SELECT count(*) FROM quiz_attempts WHERE score > 1 OR score < 0").fetchone()[0] == 0


def test_ratings_outside_the_scale_are_rejected_and_a_stated_scale_is_read_on_one_to_five(shop):
    con, write = shop
    rows = [["2025-02-01", "Ann Lee", "Value", r, "positive", f"note {r}"] for r in ("7", "0", "-2", "3")]
    r = ingest_file(con, "feedback", write("ratings.csv", export("feedback", rows)))
    assert r.rows_inserted == 1 and [x["line"] for x in r.rejects] == [2, 3, 4]
    assert r.rejects[0]["reason"].startswith("Rating: '7' is outside 1-5, the rating scale; if the export uses "
                                             "another, state it in the header")
    headers = HEADERS["feedback"][:3] + ["Rating (1-10)"] + HEADERS["feedback"][4:]
    rows = [["2025-03-01", "Ann Lee", "Value", r, "positive", f"ten {r}"] for r in ("10", "1", "11")]
    r = ingest_file(con, "feedback", write("ten.csv", export("feedback", rows, headers)))
    assert r.rows_inserted == 2 and r.details["rating_scale"] == "1-10, read as 1-5"
    assert r.rejects == [{"line": 4, "reason": "Rating (1-10): '11' is outside 1-10, the scale its header states"}]
    assert sorted(x[0] for x in con.execute("SELECT rating FROM feedback WHERE notes LIKE 'ten%'").fetchall()) == [
        1.0, 5.0]
    stars = export("feedback", [["2025-03-02", "Bo Ek", "Value", "6", "positive", "six"]],
                   HEADERS["feedback"][:3] + ["Stars (out of 5)"] + HEADERS["feedback"][4:])
    r = ingest_file(con, "feedback", write("stars.csv", stars))
    assert r.rows_inserted == 0 and "outside 1-5, the scale its header states" in r.rejects[0]["reason"]
    assert con.execute("SELECT count(*) FROM feedback WHERE rating NOT BETWEEN 1 AND 5").fetchone()[0] == 0


def test_an_adoption_target_over_one_hundred_percent_is_rejected_not_stored(shop):
    con, write = shop
    rows = [["Reach", "2025-04-01", "SMB", "250%"], ["Scale", "2025-04-01", "SMB", "-10%"],
            ["Focus", "2025-04-01", "SMB", "75%"]]
    r = ingest_file(con, "messages", write("targets.csv", export("messages", rows)))
    assert r.rows_inserted == 1 and [x["line"] for x in r.rejects] == [2, 3]
    assert r.rejects[0]["reason"] == ("Adoption Target: '250%' is outside 0-100%; a target is a share of reps, "
                                      "such as 80%")
    assert con.execute("SELECT max(adoption_target) FROM message_versions").fetchone()[0] == 0.8


def test_a_negative_deal_amount_is_loaded_and_said(shop):
    con, write = shop
    rows = [["4", "Ann Lee", "Acme", "Closed Won", "2025-02-01", "-500"]]
    r = ingest_file(con, "crm", write("credit.csv", export("crm", rows)))
    assert r.rows_inserted == 1
    assert any("Amount: 1 deal(s) have a negative amount (first on line 2)" in w for w in r.warnings)


# ------------------------------------------------------------------ browser sessions at once

OPS = auth.User("ops@acme.com", "ops", "local")


def _job(db_path, path, name, kind, dry_run=False):
    return upload_jobs.UploadJob(db_path, [upload_jobs.FileSpec.make(path, name, kind)], dry_run=dry_run, user=OPS)


def test_the_same_file_uploaded_from_two_sessions_at_once_is_loaded_once(tmp_path):
    big = export("crm", [[str(i), "Ann Lee", f"Acct {i}", "Closed Won", "2025-01-02", "10"] for i in range(5_000)])
    paths = [upload_jobs.save_upload(big.encode(), tmp_path / f"session{i}", "deals.csv") for i in (1, 2)]
    jobs = [_job(tmp_path / "h.duckdb", p, "deals.csv", "crm") for p in paths]
    for j in jobs:
        j.start()
    assert all(j.wait(120) for j in jobs)
    results = sorted((o.result.rows_inserted, o.result.rows_unchanged) for j in jobs for o in j.outcomes)
    assert results == [(0, 5_000), (5_000, 0)]
    con = db.connect(tmp_path / "h.duckdb")
    assert con.execute("SELECT count(*) FROM opportunities").fetchone()[0] == 5_000
    con.close()
    assert not any(p.exists() for p in paths)        # a load removes its saved files


def test_an_undo_while_another_upload_runs_waits_its_turn_and_both_apply(tmp_path):
    dbp = tmp_path / "h.duckdb"
    con = db.connect(dbp)
    first = ingest_file(con, "crm", _write(tmp_path / "a.csv", export("crm")))
    con.close()
    big = export("crm", [[str(i), "Bo Ek", f"Acct {i}", "Closed Lost", "2025-01-05", "1"] for i in range(100, 10_100)])
    job = _job(dbp, upload_jobs.save_upload(big.encode(), tmp_path / "s", "big.csv"), "big.csv", "crm").start()
    undone = {}
    t = threading.Thread(target=lambda: undone.update(upload_jobs.undo_upload(dbp, first.upload_id, OPS)))
    t.start()
    t.join(120)
    assert job.wait(120) and job.outcomes[0].result.rows_inserted == 10_000
    assert undone["versions_removed"] == 3
    con = db.connect(dbp)
    ids = {r[0].split(":")[-1] for r in con.execute("SELECT opportunity_id FROM opportunities").fetchall()}
    assert len(ids) == 10_000 and not ids & {"1", "2", "3"}
    assert list(list_uploads(con)["status"]) == ["active", "undone"]
    con.close()


def _write(path, text):
    path.write_text(text)
    return path


def test_a_load_whose_page_was_closed_finishes_whole_and_removes_its_file(tmp_path):
    dbp = tmp_path / "h.duckdb"
    saved = upload_jobs.save_upload(export("reps").encode(), tmp_path / "s", "roster.csv")
    job = _job(dbp, saved, "roster.csv", "reps").start()
    thread = job._thread
    del job                                  # the session is gone: nothing polls the job any more
    thread.join(60)
    assert not saved.exists()
    con = db.connect(dbp)
    assert con.execute("SELECT count(*), sum(n_inserted) FROM uploads").fetchone() == (1, 3)
    assert con.execute("SELECT count(*) FROM rep_versions").fetchone()[0] == 3
    con.close()


def test_a_preview_keeps_its_files_for_the_confirm(tmp_path):
    saved = upload_jobs.save_upload(export("reps").encode(), tmp_path / "s", "roster.csv")
    assert _job(tmp_path / "h.duckdb", saved, "roster.csv", "reps", dry_run=True).start().wait(60)
    assert saved.exists()


def test_upload_directories_of_abandoned_sessions_are_swept(tmp_path):
    old, young = upload_jobs.temp_dir(tmp_path), upload_jobs.temp_dir(tmp_path)
    stale = upload_jobs.save_upload(b"a,b\n1,2\n", old)
    upload_jobs.save_upload(b"a,b\n1,2\n", young)
    foreign = tmp_path / "huddle-notours1"
    foreign.mkdir()
    (foreign / "keep.txt").write_text("not an upload")
    long_ago = time.time() - 13 * 3600
    for p in (stale, old, foreign / "keep.txt", foreign):
        os.utime(p, (long_ago, long_ago))
    assert upload_jobs.sweep_temp_dirs(tmp_path) == [old]
    assert young.exists() and foreign.exists() and not old.exists()
    fresh = upload_jobs.temp_dir(tmp_path)          # a new session sweeps too
    assert fresh.exists() and young.exists()


def test_files_of_a_running_job_are_never_swept(tmp_path):
    d = upload_jobs.temp_dir(tmp_path)
    saved = upload_jobs.save_upload(b"a,b\n1,2\n", d)
    long_ago = time.time() - 13 * 3600
    os.utime(saved, (long_ago, long_ago))
    os.utime(d, (long_ago, long_ago))
    upload_jobs._IN_USE.add(str(saved))
    try:
        assert upload_jobs.sweep_temp_dirs(tmp_path) == []
    finally:
        upload_jobs._IN_USE.discard(str(saved))
    assert upload_jobs.sweep_temp_dirs(tmp_path) == [d]


# ------------------------------------------------------------------ the command line

def run_cli(*args, db_path):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HUDDLE_DB": str(db_path)}
    return subprocess.run([sys.executable, "-m", "analytics", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT, env=env, timeout=120)


def run_cli_here(*args, db_path, monkeypatch, capsys):
    """The command line's main() in this process (what `python -m analytics` runs): (exit code, stdout, stderr)."""
    monkeypatch.setenv("HUDDLE_DB", str(db_path))
    capsys.readouterr()
    code = cli.main([*map(str, args)])
    out = capsys.readouterr()
    return code, out.out, out.err


CLI_CASES = [
    ("quiz", "feedback_log.csv", export("feedback"), "this looks like a feedback log; use `ingest feedback`"),
    ("messages", "feedback_log.csv", export("feedback"), "use `ingest feedback`"),
    ("messages", "roster.csv", export("reps"), "this looks like a rep roster"),
    ("reps", "quiz.csv", export("quiz"), "use `ingest quiz`"),
    ("reps", "feedback_log.csv", export("feedback"), "use `ingest feedback`"),
    *[(kind, f"wide_{kind}.csv", wide(kind, 1_500), "1,500 columns, more than the 500") for kind in UPLOAD_KINDS],
    ("crm", "logo.csv", HOSTILE["logo.csv"], "binary file"),
]


@pytest.mark.parametrize("kind,name,data,message", CLI_CASES, ids=[f"{c[0]}-{c[1]}" for c in CLI_CASES])
def test_the_command_line_refuses_in_one_sentence_and_changes_nothing(template, tmp_path, kind, name, data,
                                                                      message, monkeypatch, capsys):
    dbp = tmp_path / "cli.duckdb"
    shutil.copy(template, dbp)
    con = db.connect(dbp)
    before = snapshot(con)
    con.close()
    raw = dbp.read_bytes()
    path = tmp_path / name
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    if (kind, name) == CLI_CASES[0][:2]:       # one case through the real entry point, a process of its own
        res = run_cli("ingest", kind, path, db_path=dbp)
        code, out, err = res.returncode, res.stdout, res.stderr
    else:                                      # the others through the same main(), without a new interpreter
        code, out, err = run_cli_here("ingest", kind, path, db_path=dbp, monkeypatch=monkeypatch, capsys=capsys)
    assert code == 2 and out == ""
    assert one_line(err) and err.startswith(f"error: {name}: ") and message in err
    assert dbp.read_bytes() == raw
    con = db.connect(dbp)
    assert snapshot(con) == before
    con.close()
