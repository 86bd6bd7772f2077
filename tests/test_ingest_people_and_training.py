"""Quiz results, feedback logs, the message catalog and the roster; identity across all of them."""

from __future__ import annotations

from datetime import date

import pytest

from analytics.ingest.load import ingest_file
from analytics.model.people import list_reps

ROSTER = ("Name,Email,Team,Region,Manager,Hire Date\n"
          "José García,jose.garcia@acme.com,East,NA,Rae Adams,2020-01-02\n"
          "Ann Lee,ann.lee@acme.com,West,NA,Rae Adams,2021-03-04\n")


@pytest.mark.parametrize("header,values,expected", [
    ("Score", ["85", "85%", "70"], [0.85, 0.85, 0.70]),
    ("Score", ["8.50 / 10.00", "28.00 / 30", "7/10"], [0.85, 28 / 30, 0.7]),
    ("Grade/10.00", ["8.50", "10.00", "7,00"], [0.85, 1.0, 0.7]),
    ("Score", ["0.85", "1", "0.7"], [0.85, 1.0, 0.7]),
])
def test_scores_in_every_spelling_become_a_zero_to_one_share(fresh_db, write, header, values, expected):
    text = f"Email,Module,Date,{header}\n" + "".join(
        f"a@x.com,Alpha,2026-01-0{i + 1},\"{v}\"\n" for i, v in enumerate(values))
    r = ingest_file(fresh_db, "quiz", write("q.csv", text))
    assert r.rows_rejected == 0, r.rejects
    got = [s for (s,) in fresh_db.execute("SELECT score FROM quiz_attempts ORDER BY attempted_at").fetchall()]
    assert got == pytest.approx(expected)


def test_points_with_a_maximum_column_and_ungraded_attempts(fresh_db, write):
    text = ("Email,Module,Date,Points,Max Points\na@x.com,Alpha,2026-01-01,45,50\n"
            "a@x.com,Alpha,2026-01-02,-,50\nb@x.com,Alpha,2026-01-03,Requires grading,50\n")
    r = ingest_file(fresh_db, "quiz", write("q.csv", text))
    assert r.rows_inserted == 3 and r.rows_rejected == 0
    got = fresh_db.execute("SELECT score, passed FROM quiz_attempts ORDER BY attempted_at").fetchall()
    assert got == [(0.9, True), (None, None), (None, None)]


def test_pass_fail_column_wins_over_the_pass_mark_and_the_pass_mark_is_configurable(fresh_db, write):
    text = "Email,Module,Date,Score,Result\na@x.com,Alpha,2026-01-01,75,Pass\nb@x.com,Alpha,2026-01-01,95,Fail\n"
    ingest_file(fresh_db, "quiz", write("q.csv", text))
    assert fresh_db.execute("SELECT passed FROM quiz_attempts ORDER BY score").fetchall() == [(True,), (False,)]
    text2 = "Email,Module,Date,Score\nc@x.com,Alpha,2026-01-01,75\n"
    ingest_file(fresh_db, "quiz", write("q2.csv", text2), pass_mark=0.7)
    assert fresh_db.execute("SELECT passed FROM quiz_attempts WHERE score = 0.75 AND passed").fetchone()


def test_a_score_above_its_maximum_is_rejected(fresh_db, write):
    text = "Email,Module,Date,Score\na@x.com,Alpha,2026-01-01,12 / 10\na@x.com,Alpha,2026-01-02,8 / 10\n"
    r = ingest_file(fresh_db, "quiz", write("q.csv", text))
    assert r.rows_rejected == 1 and "above the maximum" in r.rejects[0]["reason"]


def test_google_forms_quiz_export_is_recognized(fresh_db, write):
    text = "Timestamp,Email Address,Score,Which message?\n2026/03/04 10:00:00,A@X.com,28.00 / 30,Alpha\n"
    r = ingest_file(fresh_db, "quiz", write("form.csv", text), column_map={"module": "Which message?"})
    assert r.source_format == "google_forms" and r.rows_inserted == 1


def test_modules_match_catalog_messages_by_normalized_name_and_unknown_ones_are_created_and_flagged(fresh_db, write):
    ingest_file(fresh_db, "messages", write("m.csv", "Message,Launch Date,Target Segment,Adoption Target\n"
                                                     "Security-First Value Prop,2026-01-01,,80%\n"
                                                     "ROI Story,2026-02-01,Enterprise,0.7\n"))
    quiz = ("Email,Quiz,Date,Score\n"
            "a@x.com,Certification: Security-first value prop,2026-01-05,90\n"
            "a@x.com,Practice - SECURITY FIRST VALUE PROP,2026-01-20,80\n"
            "a@x.com,Certification: Competitive Traps,2026-03-03,90\n")
    ingest_file(fresh_db, "quiz", write("q.csv", quiz))
    msgs = fresh_db.execute("SELECT message_name, launch_date, target_segment, adoption_target, in_catalog "
                            "FROM messages ORDER BY message_name").fetchall()
    assert msgs == [("Competitive Traps", date(2026, 3, 3), None, None, False),
                    ("ROI Story", date(2026, 2, 1), "Enterprise", 0.7, True),
                    ("Security-First Value Prop", date(2026, 1, 1), None, 0.8, True)]
    assert fresh_db.execute("SELECT count(*) FROM quiz_attempts WHERE message_id = 'security-first-value-prop'"
                            ).fetchone()[0] == 2


def test_feedback_log_with_semicolons_multiline_notes_and_reps_by_email_or_name(fresh_db, write):
    ingest_file(fresh_db, "reps", write("roster.csv", ROSTER))
    text = ('Date;Rep;Message;Rating;Outcome;Notes\n'
            '03.02.2026;JOSE.GARCIA@acme.com;Alpha;4;Positive;"Landed well;\nprospect asked for the deck"\n'
            '04.02.2026;Ann Lee;alpha ;2;Objection;"Too long, ""confusing"""\n')
    r = ingest_file(fresh_db, "feedback", write("fb.csv", text))
    assert r.rows_inserted == 2 and r.rows_rejected == 0
    got = fresh_db.execute("""SELECT r.rep_name, f.feedback_date, f.rating, f.notes, m.message_name
                              FROM feedback f JOIN reps r USING (rep_id) JOIN messages m USING (message_id)
                              ORDER BY f.feedback_date""").fetchall()
    assert got == [("José García", date(2026, 2, 3), 4.0, "Landed well;\nprospect asked for the deck", "Alpha"),
                   ("Ann Lee", date(2026, 2, 4), 2.0, 'Too long, "confusing"', "Alpha")]


def test_reps_resolve_across_files_by_email_then_accent_and_case_insensitive_name(fresh_db, write):
    crm = ("opportunity_id,sales_agent,deal_stage,close_date\n1,Jose  Garcia,Won,2026-01-05\n"
           "2,\"Lee, Ann\",Won,2026-01-06\n3,Nobody Known,Lost,2026-01-07\n")
    ingest_file(fresh_db, "crm", write("crm.csv", crm))
    quiz = "Email,Name,Module,Date,Score\nJose.Garcia@ACME.com,José García,Alpha,2026-01-01,90\n"
    ingest_file(fresh_db, "quiz", write("q.csv", quiz))
    ingest_file(fresh_db, "reps", write("roster.csv", ROSTER))
    owners = dict(fresh_db.execute("""SELECT o.opportunity_id, r.rep_email FROM opportunities o
                                      LEFT JOIN reps r USING (rep_id)""").fetchall())
    assert owners == {"generic:1": "jose.garcia@acme.com", "generic:2": "ann.lee@acme.com", "generic:3": None}
    quiz_rep = fresh_db.execute("SELECT r.rep_email FROM quiz_attempts JOIN reps r USING (rep_id)").fetchone()[0]
    assert quiz_rep == "jose.garcia@acme.com"
    unmatched = list_reps(fresh_db, unmatched_only=True)
    assert list(unmatched["rep_name"]) == ["Nobody Known"] and unmatched["n_deals"].tolist() == [1]


def test_two_people_sharing_a_name_are_not_merged(fresh_db, write):
    roster = ("Name,Email,Team\nSam Kim,sam.kim@acme.com,East\nSam Kim,sam.kim2@acme.com,West\n")
    ingest_file(fresh_db, "reps", write("roster.csv", roster))
    assert fresh_db.execute("SELECT count(*) FROM reps").fetchone()[0] == 2


def test_roster_upload_order_does_not_change_who_owns_what(tmp_path, write):
    from analytics import db
    crm = "opportunity_id,sales_agent,deal_stage,close_date\n1,Ann Lee,Won,2026-01-05\n"
    results = []
    for order in (("crm", "reps"), ("reps", "crm")):
        con = db.connect(tmp_path / f"{order[0]}.duckdb")
        for kind in order:
            ingest_file(con, kind, write(f"{kind}.csv", crm if kind == "crm" else ROSTER))
        results.append(con.execute("SELECT o.opportunity_id, r.rep_email, r.team FROM opportunities o "
                                   "JOIN reps r USING (rep_id)").fetchall())
        con.close()
    assert results[0] == results[1] == [("generic:1", "ann.lee@acme.com", "West")]


def test_a_roster_with_first_and_last_name_columns(fresh_db, write):
    text = "First Name,Last Name,Email Address,Team\nAnn,Lee,ann.lee@acme.com,West\n"
    r = ingest_file(fresh_db, "reps", write("r.csv", text))
    assert r.rows_inserted == 1
    assert fresh_db.execute("SELECT rep_name FROM reps").fetchone()[0] == "Ann Lee"
