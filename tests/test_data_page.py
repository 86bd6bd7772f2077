"""The Data page (AppTest) and the library behind it: preview before writing, confirm, history, undo, health."""

from __future__ import annotations

import functools
import io
import subprocess
import sys
import zipfile
from datetime import date, timedelta

import pandas as pd
import pytest
from conftest import MAVEN, ROOT, snapshot
from streamlit.testing.v1 import AppTest

from analytics import db, upload_jobs
from analytics.ingest import health
from analytics.ingest.load import ingest_file, undo

ROSTER = ("Name,Email,Team,Region,Manager,Hire Date\n"
          "Jonathan Smith,jonathan.smith@acme.com,East,NA,Rachel Adams,2020-01-01\n"
          "Maria Lopez,maria.lopez@acme.com,West,NA,Tom Lee,2021-03-01\n"
          "Wei Chen,wei.chen@acme.com,East,NA,Rachel Adams,2019-06-01\n")
CATALOG = "Message,Launch Date,Target Segment\nSecurity First,2025-01-01,\n"
CRM = ("Opportunity ID,Opportunity Owner,Stage,Close Date,Amount,Segment\n"
       "1,Jonathan Smith,Closed Won,2025-02-01,100,SMB\n"
       "2,Jon Smith,Closed Lost,2025-02-02,,\n"
       "3,Maria Lopez,Negotiation,2025-03-01,50,SMB\n")
NEW_CRM = ("Opportunity ID,Opportunity Owner,Stage,Close Date,Amount,Segment\n"
           "10,Wei Chen,Closed Won,2025-04-01,70,SMB\n"
           "11,Wei Chen,Closed Won,2025-04-02,80,SMB\n"
           "12,Maria Lopez,Closed Won,not a date,90,SMB\n")


@pytest.fixture
def small_db(tmp_path, monkeypatch):
    """A database with a catalog, a roster and three deals, pointed to by HUDDLE_DB."""
    path = tmp_path / "huddle.duckdb"
    con = db.connect(path)
    for kind, name, text in (("messages", "messages.csv", CATALOG), ("reps", "roster.csv", ROSTER),
                             ("crm", "crm.csv", CRM)):
        (tmp_path / name).write_text(text)
        ingest_file(con, kind, tmp_path / name, uploaded_by="seed")
    con.close()
    monkeypatch.setenv("HUDDLE_DB", str(path))
    for name in ("HUDDLE_TRUSTED_HEADER", "HUDDLE_ROLES"):
        monkeypatch.delenv(name, raising=False)
    return path


def read(path, query):
    con = db.connect(path, read_only=True)
    try:
        return con.execute(query).fetchall()
    finally:
        con.close()


def fingerprint(path):
    con = db.connect(path, read_only=True)
    try:
        return snapshot(con)
    finally:
        con.close()


def page():
    return AppTest.from_file(str(ROOT / "pages" / "ops" / "data.py"), default_timeout=60)


def settle(at, key):
    """Rerun until the background job under session key `key` has finished and been rendered."""
    for _ in range(3):
        job = at.session_state[key] if key in at.session_state else None
        if job is None:
            return at
        assert job.wait(120), "the job did not finish"
        at.run()
    return at


def metrics(at) -> dict:
    return {m.label: m.value for m in at.metric}


def test_an_upload_is_previewed_without_writing_and_loaded_on_confirm(small_db):
    before = fingerprint(small_db)
    at = page().run()
    at.file_uploader[0].set_value(("new_deals.csv", NEW_CRM.encode(), "text/csv")).run()
    settle(at, "data_preview")
    assert not at.exception
    m = metrics(at)
    assert (m["Would insert"], m["Would update"], m["Unchanged"], m["Rejected"]) == ("2", "0", "0", "1")
    assert any("not a date" in str(t.value) for t in at.table)              # rejected row with its reason
    assert fingerprint(small_db) == before                                 # nothing written by the preview
    at.button(key="data_confirm").click().run()
    settle(at, "data_commit")
    assert not at.exception
    assert any("new_deals.csv loaded as crm: 2 new" in s.value for s in at.success)
    assert read(small_db, "SELECT count(*) FROM opportunities")[0][0] == 5
    assert read(small_db, "SELECT uploaded_by, n_rejected FROM uploads ORDER BY upload_id DESC LIMIT 1") == [
        ("local user", 1)]


def test_an_unrecognized_column_is_chosen_on_the_page_before_loading(small_db):
    text = "Deal ID,Closer,Stage,Close Date\n20,Wei Chen,Closed Won,2025-05-01\n"
    at = page().run()
    at.file_uploader[0].set_value(("odd.csv", text.encode(), "text/csv")).run()
    assert any("owner_name or owner_email or owner_id" in e.value for e in at.error)
    owner = next(s for s in at.selectbox if s.key and s.key.endswith(":crm:owner_name"))
    owner.set_value("Closer").run()
    settle(at, "data_preview")
    assert metrics(at)["Would insert"] == "1"
    at.button(key="data_confirm").click().run()
    settle(at, "data_commit")
    assert read(small_db, "SELECT owner_name, r.rep_name FROM opportunities JOIN reps r USING (rep_id) "
                          "WHERE opportunity_id LIKE '%:20'") == [("Wei Chen", "Wei Chen")]


def test_a_file_of_no_known_kind_gets_no_preselected_kind_and_loads_nothing_until_one_is_chosen(small_db):
    before = fingerprint(small_db)
    at = page().run()
    at.file_uploader[0].set_value(("things.csv", b"colour,size\nred,9\n", "text/csv")).run()
    kind = next(s for s in at.selectbox if s.key and s.key.startswith("kind:"))
    assert kind.value is None
    assert any("choose its kind" in i.value for i in at.info)
    assert not at.exception
    assert fingerprint(small_db) == before


def test_a_custom_stage_can_be_mapped_to_won_before_loading(small_db):
    text = "Opportunity ID,Opportunity Owner,Stage,Close Date\n30,Wei Chen,Signed Contract Received,2025-05-01\n"
    at = page().run()
    at.file_uploader[0].set_value(("stages.csv", text.encode(), "text/csv")).run()
    settle(at, "data_preview")
    stage = next(s for s in at.selectbox if s.key and s.key.endswith(":Signed Contract Received"))
    assert stage.value == "open"
    stage.set_value("won").run()
    settle(at, "data_preview")
    at.button(key="data_confirm").click().run()
    settle(at, "data_commit")
    assert read(small_db, "SELECT outcome FROM opportunities WHERE opportunity_id LIKE '%:30'") == [("won",)]


def test_several_files_are_detected_and_loaded_roster_first(small_db):
    roster = "Name,Email,Team,Region,Manager\nAda King,ada.king@acme.com,West,NA,Tom Lee\n"
    deals = "Opportunity ID,Opportunity Owner,Stage,Close Date\n40,Ada King,Closed Won,2025-06-01\n"
    at = page().run()
    at.file_uploader[0].set_value([("deals.csv", deals.encode(), "text/csv"),
                                   ("people.csv", roster.encode(), "text/csv")]).run()
    assert [s.value for s in at.selectbox if s.key and s.key.startswith("kind:")] == ["crm", "reps"]
    settle(at, "data_preview")
    at.button(key="data_confirm").click().run()
    settle(at, "data_commit")
    assert read(small_db, "SELECT kind FROM uploads ORDER BY upload_id DESC LIMIT 2") == [("crm",), ("reps",)]
    assert read(small_db, "SELECT r.in_roster FROM opportunities JOIN reps r USING (rep_id) "
                          "WHERE opportunity_id LIKE '%:40'") == [(True,)]


def test_a_zip_renamed_to_csv_gets_a_clear_error_and_nothing_changes(small_db):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("deals.csv", NEW_CRM)
    before = fingerprint(small_db)
    at = page().run()
    at.file_uploader[0].set_value(("deals.csv", buf.getvalue(), "text/csv")).run()
    assert not at.exception
    assert any("compressed archive" in e.value for e in at.error)
    assert "data_preview" not in at.session_state
    assert fingerprint(small_db) == before


def test_an_upload_is_undone_from_the_history(small_db):
    at = page().run()
    at.selectbox(key="undo_target").set_value(3).run()          # the CRM upload
    assert at.button(key="undo_button").disabled
    at.checkbox(key="undo_sure").check().run()
    at.button(key="undo_button").click().run()
    assert not at.exception
    assert any("Undid upload 3" in s.value for s in at.success)
    assert read(small_db, "SELECT count(*) FROM opportunities")[0][0] == 0
    assert read(small_db, "SELECT status FROM uploads WHERE upload_id = 3") == [("undone",)]


def test_rejected_rows_download_with_their_line_numbers_and_original_values(small_db):
    con = db.connect(small_db)
    text = ("Opportunity ID,Opportunity Owner,Stage,Close Date\n"
            "50,=HYPERLINK(\"http://x\"),Closed Won,31/31/2025\n"
            "51,Ann Lee,Closed Lost,1/15/2025\n")     # a date column none of whose values reads is refused outright
    path = small_db.parent / "bad.csv"
    path.write_text(text)
    r = ingest_file(con, "crm", path)
    table = upload_jobs.rejects_table(con, r.upload_id)
    csv_text = upload_jobs.rejects_csv(con, r.upload_id)
    con.close()
    assert table.loc[0, "line_number"] == 2 and "31/31/2025" in table.loc[0, "reason"]
    assert table.loc[0, "Opportunity Owner"] == '=HYPERLINK("http://x")'
    assert "'=HYPERLINK" in csv_text and "\n=" not in csv_text and ",=" not in csv_text
    at = page().run()
    assert at.download_button(key="rejects_download").label == "Download rejected rows (CSV)"


@pytest.fixture
def health_db(small_db):
    """The small database plus a quiz taker by a personal email and an unknown message."""
    quiz = "Email,Quiz,Date,Score\nm.lopez@gmail.com,Certification: Pricing Story,2025-01-05,90\n"
    con = db.connect(small_db)
    (small_db.parent / "quiz.csv").write_text(quiz)
    ingest_file(con, "quiz", small_db.parent / "quiz.csv")
    con.close()
    return small_db


def test_unmatched_people_come_with_suggested_roster_matches(health_db):
    con = db.connect(health_db, read_only=True)
    people = health.unmatched_people(con).set_index("name")
    con.close()
    assert set(people.index) == {"Jon Smith", "m.lopez@gmail.com"}
    assert people.loc["Jon Smith", "suggested_rep"] == "Jonathan Smith" and people.loc["Jon Smith", "can_link"]
    assert people.loc["Jon Smith", "seen_as"] == "CRM owner"
    assert people.loc["m.lopez@gmail.com", "suggested_rep"] == "Maria Lopez"
    assert not people.loc["m.lopez@gmail.com", "can_link"]
    assert "email" in people.loc["m.lopez@gmail.com", "cannot_link_because"]


@pytest.mark.parametrize("seen, expected", [
    ("Smith, Jonathan", "Jonathan Smith"), ("J. Smith", "Jonathan Smith"), ("jonathan smyth", "Jonathan Smith"),
    ("Lopez Maria", "Maria Lopez"), ("Wei  CHEN", "Wei Chen"), ("Completely Different", None)])
def test_suggestions_find_the_planted_roster_rep(seen, expected):
    roster = pd.DataFrame({"rep_id": ["a", "b", "c"], "rep_name": ["Jonathan Smith", "Maria Lopez", "Wei Chen"],
                           "rep_email": ["jonathan.smith@acme.com", "maria.lopez@acme.com", "wei.chen@acme.com"]})
    got = health.suggest_matches(seen, None, roster)
    assert (got[0]["rep_name"] if got else None) == expected


def test_confirming_a_match_on_the_page_links_the_person_and_undo_unlinks(health_db):
    at = page().run()
    assert at.selectbox(key="link_person").options == ["Jon Smith"]
    assert at.selectbox(key="link_rep").value.startswith("rep-")
    at.button(key="link_button").click().run()
    assert not at.exception
    assert any("Linked Jon Smith to Jonathan Smith" in s.value for s in at.success)
    owners = dict(read(health_db, "SELECT o.owner_name, r.rep_name FROM opportunities o JOIN reps r USING (rep_id)"))
    assert owners["Jon Smith"] == "Jonathan Smith"
    link = read(health_db, "SELECT upload_id, kind FROM uploads ORDER BY upload_id DESC LIMIT 1")[0]
    assert link[1] == "crm_users"
    con = db.connect(health_db)
    undo(con, link[0])
    assert "Jon Smith" in set(health.unmatched_people(con)["name"])
    con.close()


def test_a_person_known_by_a_second_email_is_not_linked_silently(health_db):
    con = db.connect(health_db)
    people = health.unmatched_people(con).set_index("name")
    before = snapshot(con)
    with pytest.raises(Exception, match="email"):
        health.link_person(con, people.loc["m.lopez@gmail.com", "rep_id"], people.loc["Jon Smith",
                           "suggested_rep_id"])
    assert snapshot(con) == before
    con.close()


def test_health_reports_unknown_messages_stale_kinds_and_deal_gaps(health_db):
    con = db.connect(health_db, read_only=True)
    unknown = health.unknown_messages(con)
    assert unknown["message_name"].tolist() == ["Pricing Story"] and unknown["n_attempts"].tolist() == [1]
    stale = health.stale_data(con, today=date.today() + timedelta(days=10)).set_index("kind")
    assert stale.loc["crm", "status"] == "stale" and stale.loc["messages", "status"] == "fresh"
    assert stale.loc["feedback", "status"] == "never uploaded"
    assert health.stale_data(con).set_index("kind").loc["crm", "status"] == "fresh"
    gaps = health.deal_gaps(con).set_index("check_name")
    assert gaps.loc["Closed deals without a segment", "n_deals"] == 1
    assert gaps.loc["Closed deals without a segment", "n_total"] == 2
    assert gaps.loc["Deals without an amount", "n_deals"] == 1
    assert gaps.loc["Deals whose owner is not on the roster", "n_deals"] == 1
    rows = health.deals_with_gaps(con)
    assert rows["problem"].tolist() == ["no segment; no amount"]
    con.close()


def test_the_health_tab_shows_the_checks(health_db):
    at = page().run()
    assert not at.exception
    m = metrics(at)
    assert m["Unmatched people"] == "2" and m["Messages not in catalog"] == "1"
    assert m["Deals without amount"] == "1"


@pytest.mark.parametrize("name, kind", [
    ("messages.csv", "messages"), ("roster.csv", "reps"), ("salesforce_opportunities.csv", "crm"),
    ("hubspot_deals.csv", "crm"), ("lms_quiz_results.csv", "quiz"), ("field_feedback.csv", "feedback")])
def test_the_kind_of_each_demo_export_is_detected(demo_world, name, kind):
    assert upload_jobs.detect_kind(upload_jobs.sniff(demo_world["dir"] / name).headers) == kind


def test_the_kind_of_the_public_maven_exports_is_detected():
    assert upload_jobs.detect_kind(upload_jobs.sniff(MAVEN / "sales_pipeline.csv").headers) == "crm"
    assert upload_jobs.detect_kind(upload_jobs.sniff(MAVEN / "sales_teams.csv").headers) == "reps"
    assert upload_jobs.detect_kind(["Id", "Name", "Email"]) == "crm"      # a Salesforce users file
    assert upload_jobs.detect_kind(["colour", "size"]) is None


def test_a_background_job_previews_then_loads_with_progress(small_db, tmp_path):
    from analytics.auth import User
    path = tmp_path / "deals.csv"
    path.write_text(NEW_CRM)
    spec = upload_jobs.FileSpec.make(path, "deals.csv", "crm")
    ops = User("ops@acme.com", "ops", "header")
    preview = upload_jobs.UploadJob(small_db, [spec], dry_run=True, user=ops).start()
    assert preview.wait(60) and preview.progress() == 1.0
    assert preview.outcomes[0].result.rows_inserted == 2 and preview.outcomes[0].result.upload_id is None
    assert read(small_db, "SELECT count(*) FROM uploads")[0][0] == 3
    job = upload_jobs.UploadJob(small_db, [spec], dry_run=False, user=ops).start()
    assert job.wait(60) and "Loaded 1 file" in job.describe()
    assert read(small_db, "SELECT count(*), max(uploaded_by) FROM uploads WHERE upload_id = 4") == [
        (1, "ops@acme.com")]


def test_a_file_over_the_size_limit_is_refused_with_the_limit_in_the_message(monkeypatch):
    monkeypatch.setenv("HUDDLE_MAX_UPLOAD_MB", "1")
    with pytest.raises(Exception, match=r"over the 1 MB upload limit"):
        upload_jobs.check_size(3 << 20, "big.csv")
    upload_jobs.check_size(1 << 19, "small.csv")


def test_while_another_process_holds_the_database_the_page_says_so_instead_of_failing(small_db, monkeypatch):
    from analytics import cache
    monkeypatch.setattr(cache, "connection", functools.partial(cache.connection, wait_seconds=0.3))
    holder = subprocess.Popen([sys.executable, "-c", "import time; from analytics import db; "
                               f"c = db.connect({str(small_db)!r}); print('held', flush=True); time.sleep(30)"],
                              cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        at = page().run()
        assert not at.exception
        assert sum("Another process is writing to the database" in w.value for w in at.warning) == 2
    finally:
        holder.kill()
        holder.wait()


def test_the_data_page_says_once_that_the_default_view_is_being_refreshed(small_db):
    from pages._ui import REFRESHING
    at = page().run()
    assert not at.exception
    said = [e for e in (*at.caption, *at.info, *at.markdown) if REFRESHING in str(e.value)]
    assert len(said) == 1


@pytest.mark.parametrize("setting,expected", [("background", ["current"]), ("skip", ["pending"])])
def test_a_dashboard_upload_refreshes_the_default_view_in_the_background_unless_the_refresh_is_left_to_a_timer(
        small_db, tmp_path, monkeypatch, setting, expected):
    from analytics import refresh_worker, stores
    monkeypatch.setenv("HUDDLE_REFRESH", setting)
    (tmp_path / "more.csv").write_text(NEW_CRM)
    spec = upload_jobs.FileSpec.make(tmp_path / "more.csv", "more.csv", "crm")
    [out] = upload_jobs.run_files(small_db, [spec], dry_run=False, uploaded_by="ops")
    assert out.result is not None and out.result.rows_inserted > 0
    assert refresh_worker.WORKER.wait(120)
    with stores.reading(stores.resolve("", small_db)) as con:
        assert [refresh_worker.refresh_status(con)["state"]] == expected
