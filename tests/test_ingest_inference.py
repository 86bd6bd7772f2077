"""Column inference: values decide where headers do not, ties are refused, nothing the file holds is dropped
silently, and mappings settled once are remembered."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from streamlit.testing.v1 import AppTest

from analytics import db
from analytics.ingest.errors import IngestError
from analytics.ingest.infer import infer_columns, kind_fits, profile_columns
from analytics.ingest.load import ingest_file
from conftest import ROOT

CATALOG = ["Security-First Value Prop", "ROI Story", "Platform Consolidation Story"]
ROSTER = ("Name,Email\nAna Souza,ana.souza@acme.com\nBen Carter,ben.carter@acme.com\n")


@pytest.fixture
def company(fresh_db, write):
    catalog = "Message,Launch Date\n" + "".join(f"{m},2026-01-01\n" for m in CATALOG)
    ingest_file(fresh_db, "messages", write("m.csv", catalog))
    ingest_file(fresh_db, "reps", write("r.csv", ROSTER))
    return fresh_db


def test_a_column_of_catalog_message_names_is_the_module_whatever_its_header(company, write):
    text = ("Learner,Learning Item,Completion Date,Score\n"
            "ana.souza@acme.com,Certification: ROI Story,2026-03-04,85\n"
            "ben.carter@acme.com,Security-First Value Prop,2026-03-05,55\n")
    r = ingest_file(company, "quiz", write("lms.csv", text))
    assert r.rows_inserted == 2 and r.columns["module"] == "Learning Item"
    assert "100% of values match catalog messages" in r.inference["module"]["reason"]


def test_a_differently_labelled_rating_column_is_found_and_what_is_left_over_is_reported(company, write):
    text = ("Date;Rep;Message;Buyer Reaction (1-5);Deal size;Notes\n"
            "2026-03-04;Ana Souza;ROI Story;4;big;liked it\n"
            "2026-03-05;Ben Carter;ROI Story;2;small;meh\n")
    r = ingest_file(company, "feedback", write("fb.csv", text))
    assert r.columns["rating"] == "Buyer Reaction (1-5)"
    assert company.execute("SELECT list_sort(list(rating)) FROM feedback").fetchone()[0] == [2.0, 4.0]
    assert r.unused_columns == [{"column": "Deal size", "looks_like": "text, e.g. 'big', 'small'"}]
    assert r.missing_optional == ["outcome"]


def test_an_unused_scale_column_is_described_as_a_rating():
    headers = ["Date", "Rep", "Message", "Rating", "Buyer Response Score"]
    rows = [("2026-03-0%d" % i, "Ana Souza", "ROI Story", str(i % 5 + 1), str((i * 3) % 5 + 1)) for i in range(1, 9)]
    res = infer_columns("feedback", headers, profile_columns(headers, rows, CATALOG, ["Ana Souza"]))
    assert res.choices["rating"].column == "Rating"
    assert {"column": "Buyer Response Score", "looks_like": "a 1-5 rating"} in res.unused_columns


def test_two_columns_that_could_each_be_a_required_field_are_refused_with_the_map_that_settles_it(company, write):
    text = ("Email,Course A,Course B,Date,Score\n"
            "ana.souza@acme.com,ROI Story,Security-First Value Prop,2026-03-04,85\n")
    with pytest.raises(IngestError) as err:
        ingest_file(company, "quiz", write("q.csv", text))
    msg = str(err.value)
    assert 'two columns could be the module: "Course A"' in msg and '"Course B"' in msg
    assert "--map module=Course A" in msg


def test_an_optional_column_none_of_whose_values_convert_is_left_out_with_a_warning_naming_it(company, write):
    text = ("Date,Email,Topic,Rating\n2026-03-04,ana.souza@acme.com,ROI Story,great\n"
            "2026-03-05,ben.carter@acme.com,ROI Story,poor\n")
    r = ingest_file(company, "feedback", write("fb.csv", text))
    assert r.rows_inserted == 2 and r.rows_rejected == 0
    assert any('"Rating" looks like the rating column but none of its values read as a rating' in w
               for w in r.warnings)
    assert "rating" in r.missing_optional


def test_a_required_column_none_of_whose_values_convert_is_an_error_naming_it(company, write):
    text = "Email,Module,Date,Score\nana.souza@acme.com,ROI Story,soon,85\nben.carter@acme.com,ROI Story,later,80\n"
    with pytest.raises(IngestError, match=r'attempted_at <- "Date": none of its values can be read as a date'):
        ingest_file(company, "quiz", write("q.csv", text))


def test_an_optional_field_found_with_low_confidence_is_used_and_warned_about(company, write):
    text = ("Date,Email,Topic,Buyer Response Score\n2026-03-04,ana.souza@acme.com,ROI Story,4\n"
            "2026-03-05,ben.carter@acme.com,ROI Story,2\n2026-03-06,ben.carter@acme.com,ROI Story,5\n")
    r = ingest_file(company, "feedback", write("fb.csv", text))
    assert r.columns["rating"] == "Buyer Response Score"
    assert any(w.startswith('rating <- "Buyer Response Score"') and "low confidence" in w for w in r.warnings)


def test_a_scale_column_with_a_header_that_says_nothing_is_not_guessed_but_shown(company, write):
    text = ("Date,Email,Topic,How was it\n2026-03-04,ana.souza@acme.com,ROI Story,4\n"
            "2026-03-05,ben.carter@acme.com,ROI Story,2\n2026-03-06,ben.carter@acme.com,ROI Story,5\n")
    r = ingest_file(company, "feedback", write("fb.csv", text))
    assert "rating" not in r.columns and "rating" in r.missing_optional
    assert {"column": "How was it", "looks_like": "a 1-5 rating"} in r.unused_columns


def test_german_hubspot_headers_are_read():
    headers = ["Datensatz-ID", "Deal-Name", "Deal-Phase", "Abschlussdatum", "Deal-Inhaber", "Betrag"]
    rows = [("1", "A", "Gewonnen", "2026-01-02", "Ana Souza", "100"), ("2", "B", "Verloren", "2026-01-03", "Ana", "5")]
    res = infer_columns("crm", headers, profile_columns(headers, rows))
    assert {f: c.column for f, c in res.choices.items()} == {
        "opportunity_id": "Datensatz-ID", "opportunity_name": "Deal-Name", "stage": "Deal-Phase",
        "close_date": "Abschlussdatum", "owner_name": "Deal-Inhaber", "amount": "Betrag"}


def test_a_file_of_another_kind_is_told_apart_by_its_fit():
    headers = ["Timestamp", "Email Address", "Which message did you use?", "Rating (1-5)", "Comments"]
    rows = [("2026-03-04 10:00", "ana.souza@acme.com", "ROI Story", "4", "fine")]
    fits = kind_fits(headers, profile_columns(headers, rows, CATALOG))
    assert max(fits, key=fits.get) == "feedback"
    with pytest.raises(IngestError, match="looks like a feedback log; use `ingest feedback`"):
        infer_columns("crm", headers, profile_columns(headers, rows, CATALOG))


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "analytics", *args], cwd=ROOT, capture_output=True, text=True)


def test_a_mapping_settled_with_map_is_remembered_used_next_time_listed_and_deleted(tmp_path, write):
    dbp = str(tmp_path / "m.duckdb")
    text = "Wer,Was,Wann,Wie\nAna Souza,ROI Story,2026-03-04,4\n"
    f1 = write("a.csv", text)
    first = run_cli("ingest", "feedback", str(f1), "--db", dbp, "--json", "--map", "rep_name=Wer", "--map",
                    "topic=Was", "--map", "feedback_date=Wann", "--map", "rating=Wie")
    assert first.returncode == 0, first.stderr
    saved = json.loads(first.stdout)["details"]["mapping_saved"]
    again = run_cli("ingest", "feedback", str(write("b.csv", text + "Ben Carter,ROI Story,2026-03-05,2\n")),
                    "--db", dbp)
    assert again.returncode == 0, again.stderr
    assert f"remembered mapping {saved}" in again.stdout
    listed = json.loads(run_cli("mappings", "--db", dbp, "--json").stdout)
    assert [m["mapping_id"] for m in listed] == [saved] and listed[0]["n_used"] == 1
    assert json.loads(listed[0]["columns"]) == {"feedback_date": "Wann", "rating": "Wie", "rep_name": "Wer",
                                                "topic": "Was"}
    assert run_cli("mappings", "delete", str(saved), "--db", dbp).returncode == 0
    assert json.loads(run_cli("mappings", "--db", dbp, "--json").stdout) == []
    third = run_cli("ingest", "feedback", str(write("c.csv", text)), "--db", dbp)
    assert third.returncode == 2 and "not a feedback export we recognize" in third.stderr


def test_a_dry_run_remembers_nothing(company, write):
    text = "Wer,Was,Wann\nAna Souza,ROI Story,2026-03-04\n"
    ingest_file(company, "feedback", write("a.csv", text), dry_run=True,
                column_map={"rep_name": "Wer", "topic": "Was", "feedback_date": "Wann"})
    assert company.execute("SELECT count(*) FROM column_mappings").fetchone()[0] == 0


@pytest.fixture
def company_db(tmp_path, monkeypatch, write):
    """The small catalog and roster in a database file the Data page opens through HUDDLE_DB."""
    path = tmp_path / "page.duckdb"
    con = db.connect(path)
    catalog = "Message,Launch Date\n" + "".join(f"{m},2026-01-01\n" for m in CATALOG)
    ingest_file(con, "messages", write("m.csv", catalog))
    ingest_file(con, "reps", write("r.csv", ROSTER))
    con.close()
    monkeypatch.setenv("HUDDLE_DB", str(path))
    for name in ("HUDDLE_TRUSTED_HEADER", "HUDDLE_ROLES"):
        monkeypatch.delenv(name, raising=False)
    return path


def preview(text: str, name: str = "fb.csv"):
    """The Data page with one file chosen, after its preview job has finished."""
    at = AppTest.from_file(str(ROOT / "pages" / "ops" / "data.py"), default_timeout=60).run()
    at.file_uploader[0].set_value((name, text.encode(), "text/csv")).run()
    at = preview_settled(at)
    assert not at.exception
    return at


def test_the_data_page_preview_says_why_each_column_was_read_and_what_was_left_out(company_db):
    text = ("Date;Rep;Message;Buyer Reaction (1-5);Deal size;Notes\n"
            "2026-03-04;Ana Souza;ROI Story;4;big;liked it\n"
            "2026-03-05;Ben Carter;ROI Story;2;small;meh\n")
    at = preview(text)
    frames = [d.value for d in at.dataframe]
    chosen = next(f for f in frames if "why" in f.columns).set_index("field")
    assert chosen.loc["rating", "column"] == "Buyer Reaction (1-5)"
    assert "values on a 1-5 scale" in chosen.loc["rating", "why"] and chosen.loc["rating", "confidence"].endswith("%")
    unused = next(f for f in frames if "looks like" in f.columns)
    assert unused.to_dict("records") == [{"column": "Deal size", "looks like": "text, e.g. 'big', 'small'"}]
    assert any("Not found in the file (optional): outcome" in c.value for c in at.caption)


def test_columns_chosen_on_the_data_page_are_remembered_for_the_next_file_of_that_shape(company_db):
    text = "Wer,Was,Wann,Wie\nAna Souza,ROI Story,2026-03-04,4\n"
    at = preview(text, "a.csv")
    next(s for s in at.selectbox if s.key and s.key.startswith("kind:")).set_value("feedback").run()
    for field, header in (("rep_name", "Wer"), ("topic", "Was"), ("feedback_date", "Wann"), ("rating", "Wie")):
        next(s for s in at.selectbox if s.key and s.key.endswith(f":feedback:{field}")).set_value(header)
    at.run()
    at = preview_settled(at)
    at.button(key="data_confirm").click().run()
    for _ in range(3):
        job = at.session_state["data_commit"] if "data_commit" in at.session_state else None
        if job is None:
            break
        assert job.wait(120)
        at.run()
    assert not at.exception and any("a.csv loaded as feedback" in s.value for s in at.success)
    again = preview(text + "Ben Carter,ROI Story,2026-03-05,2\n", "b.csv")
    assert not again.error and any("remembered mapping" in i.value for i in again.info)
    assert next(s for s in again.selectbox if s.key and s.key.startswith("kind:")).value == "feedback"
    assert next(s for s in again.selectbox if s.key and s.key.endswith(":feedback:topic")).value == "Was"


def preview_settled(at):
    for _ in range(3):
        job = at.session_state["data_preview"] if "data_preview" in at.session_state else None
        if job is None or job.done:
            break
        assert job.wait(120)
        at.run()
    at.run()
    return at
