"""A file uploaded again with a corrected column mapping updates its records in place, for every kind; undo of
the corrected upload brings the first mapping's records back."""

from __future__ import annotations

import pytest

from analytics.ingest.load import ingest_file, undo

FEEDBACK = ("Date,Rep Email,Message,Rating,Notes,Internal note\n"
            "2026-01-05,ann@x.com,Value Prop,4,Loved the ROI story,call back\n"
            "2026-01-06,bo@x.com,Value Prop,2,Pricing pushback,escalate\n"
            "2026-01-07,ann@x.com,Security First,5,CISO nodded,none\n")
CRM = ("Opportunity Name,Account Name,Opportunity Owner,Stage,Close Date,Amount,Lead Source\n"
       "Renewal 2026,Acme,Ann Lee,Closed Won,2026-01-05,100,Web\n"
       "Expansion,Globex,Bo Ek,Closed Lost,2026-01-06,50,Partner\n"
       "New logo,Initech,Ann Lee,Prospecting,,70,Event\n")
QUIZ = ("Email,Quiz,Course,Completed,Score\n"
        "ann@x.com,Value Prop,Sales Academy,2026-01-05 10:00,90%\n"
        "bo@x.com,Value Prop,Sales Academy,2026-01-05 11:00,60%\n"
        "ann@x.com,Security First,Onboarding,2026-01-06 09:00,85%\n")
MESSAGES = ("Message,Owner,Launch Date,Segment\n"
            "Value Prop,Priya,2026-01-01,Enterprise\n"
            "Security First,Marc,2026-02-01,all\n")
REPS = ("Name,Work Email,Private Email,Team,Manager\n"
        "Ann Lee,ann@x.com,ann.lee@home.net,East,Dee Park\n"
        "Bo Ek,bo@x.com,bo1990@home.net,West,Dee Park\n"
        "Cy Diaz,cy@x.com,cy@home.net,East,Eli Ross\n")

# kind -> (file, wrong mapping, corrected mapping, current table, its key, a query of the corrected values)
CASES = {
    "feedback": (FEEDBACK, {"notes": "Internal note"}, {"notes": "Notes"}, "feedback", "feedback_id",
                 "SELECT notes FROM feedback ORDER BY feedback_date",
                 [("Loved the ROI story",), ("Pricing pushback",), ("CISO nodded",)]),
    "crm": (CRM, {"account_name": "Lead Source"}, {"account_name": "Account Name"}, "opportunities",
            "opportunity_id", "SELECT account_name FROM opportunities ORDER BY amount",
            [("Globex",), ("Initech",), ("Acme",)]),
    "quiz": (QUIZ, {"module": "Course"}, {"module": "Quiz"}, "quiz_attempts", "attempt_id",
             "SELECT module FROM quiz_attempts ORDER BY attempted_at",
             [("Value Prop",), ("Value Prop",), ("Security First",)]),
    "messages": (MESSAGES, {"message_name": "Owner"}, {"message_name": "Message"}, "messages", "message_id",
                 "SELECT message_name FROM messages ORDER BY launch_date",
                 [("Value Prop",), ("Security First",)]),
    "reps": (REPS, {"rep_email": "Private Email"}, {"rep_email": "Work Email"}, "reps", "rep_id",
             "SELECT rep_email FROM reps ORDER BY rep_name",
             [("ann@x.com",), ("bo@x.com",), ("cy@x.com",)]),
}


def _rows(con, table: str, key: str) -> list:
    return con.execute(f"SELECT * FROM {table} ORDER BY {key}").fetchall()


@pytest.mark.parametrize("kind", list(CASES))
def test_a_corrected_mapping_updates_the_same_records_and_undo_restores_the_first(fresh_db, write, kind):
    text, wrong, right, table, key, query, expected = CASES[kind]
    path = write(f"{kind}.csv", text)
    first = ingest_file(fresh_db, kind, path, column_map=wrong)
    n = first.rows_inserted
    assert n == len(expected) and first.rows_rejected == 0
    after_first = _rows(fresh_db, table, key)
    assert fresh_db.execute(query).fetchall() != expected

    preview = ingest_file(fresh_db, kind, path, column_map=right, dry_run=True)
    assert (preview.rows_inserted, preview.rows_updated) == (0, n)
    assert _rows(fresh_db, table, key) == after_first

    second = ingest_file(fresh_db, kind, path, column_map=right)
    assert (second.rows_inserted, second.rows_updated, second.rows_unchanged) == (0, n, 0)
    assert fresh_db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == len(after_first)
    assert fresh_db.execute(query).fetchall() == expected

    again = ingest_file(fresh_db, kind, path, column_map=right)
    assert (again.rows_inserted, again.rows_updated, again.rows_unchanged) == (0, 0, n)

    undo(fresh_db, again.upload_id)
    undo(fresh_db, second.upload_id)
    assert _rows(fresh_db, table, key) == after_first


def test_a_corrected_feedback_mapping_previews_what_changes(fresh_db, write):
    path = write("feedback.csv", FEEDBACK)
    ingest_file(fresh_db, "feedback", path, column_map={"notes": "Internal note"})
    preview = ingest_file(fresh_db, "feedback", path, column_map={"notes": "Notes"}, dry_run=True)
    assert preview.changes[0] == {"line": 2, "field": "notes", "old": "call back", "new": "Loved the ROI story"}
    assert {c["field"] for c in preview.changes} == {"notes"}
    assert len(preview.changes) == 3


def test_a_later_export_with_ids_still_matches_by_id_when_the_rows_changed(fresh_db, write):
    v1 = ("opportunity_id,sales_agent,deal_stage,close_date,close_value\n"
          "A,Ann Lee,Engaging,,\nB,Bo Ek,Won,2026-01-05,9\n")
    v2 = "opportunity_id,sales_agent,deal_stage,close_date,close_value\nA,Ann Lee,Won,2026-02-01,250\n"
    ingest_file(fresh_db, "crm", write("v1.csv", v1))
    r = ingest_file(fresh_db, "crm", write("v2.csv", v2))
    assert (r.rows_inserted, r.rows_updated) == (0, 1)
    assert r.changes[:2] == [{"line": 2, "field": "stage", "old": "Engaging", "new": "Won"},
                             {"line": 2, "field": "outcome", "old": "open", "new": "won"}]
    assert fresh_db.execute("SELECT count(*) FROM opportunities").fetchone()[0] == 2


def test_a_new_feedback_log_that_repeats_old_rows_does_not_duplicate_them(fresh_db, write):
    ingest_file(fresh_db, "feedback", write("week1.csv", FEEDBACK))
    later = FEEDBACK + "2026-01-08,bo@x.com,Security First,3,Asked for a case study,later\n"
    r = ingest_file(fresh_db, "feedback", write("week2.csv", later))
    assert (r.rows_inserted, r.rows_updated, r.rows_unchanged) == (1, 0, 3)
    assert fresh_db.execute("SELECT count(*) FROM feedback").fetchone()[0] == 4
