"""Exports of tools Huddle was never told about (tests/fixtures/exports/README.md cites each tool's documentation):
each loads with no --map, with the planted row, outcome, score and rating counts, and no unexpected warning."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from analytics.ingest.load import ingest_file

EXPORTS = Path(__file__).resolve().parent / "fixtures" / "exports"
NO_ID = r"no opportunity id column"
FILE_NAME = r"^module <- file name"

# file, kind, rows, (won, lost, open) for CRM / rows with a score / rows with a rating, allowed warnings
CRM = [
    ("salesforce_report_en.csv", 10, (4, 3, 3), [NO_ID]),
    ("salesforce_report_de.csv", 10, (4, 3, 3), [NO_ID]),
    ("salesforce_report_fr.csv", 10, (4, 3, 3), [NO_ID]),
    ("salesforce_report_es.csv", 10, (4, 3, 3), [NO_ID, r"not UTF-8; read it as cp1252"]),
    ("salesforce_dataloader.csv", 10, (4, 3, 3), [r"not UTF-8"]),
    ("hubspot_deals.csv", 10, (4, 3, 3), []),
    ("hubspot_deals_de.csv", 10, (4, 3, 3), []),
    ("pipedrive_deals.csv", 10, (4, 3, 3), [NO_ID]),
    ("close_opportunities.csv", 10, (4, 3, 3), []),
    ("copper_opportunities.csv", 10, (4, 3, 3), [NO_ID]),
    ("freshsales_deals.csv", 10, (4, 3, 3), [NO_ID]),
    ("sugarcrm_opportunities.csv", 10, (4, 3, 3), []),
    ("odoo_crm.csv", 10, (4, 0, 6), [NO_ID]),
    ("insightly_opportunities.csv", 10, (4, 3, 3), []),
]
QUIZ = [
    ("SALES101-Certification ROI Story-grades.csv", 12, 11, [FILE_NAME]),
    ("Security-First Value Prop Quiz Student Analysis Report.csv", 10, 10, [FILE_NAME]),
    ("docebo_users_courses.csv", 10, 10, [r'^passed <- "Status".*low confidence']),
    ("cornerstone_transcript.csv", 10, 10, []),
    ("talentlms_test_results.csv", 10, 10, []),
    ("workday_learning_completions.csv", 10, 10, []),
    ("successfactors_learning_history.csv", 10, 10, []),
    ("google_forms_quiz.csv", 10, 10, []),
    ("microsoft_forms_quiz.csv", 10, 10, []),
    ("readiness_certifications.csv", 10, 10, []),
]
FEEDBACK = [
    ("google_forms_feedback.csv", 12, 12, []),
    ("microsoft_forms_feedback.csv", 10, 10, []),
    ("surveymonkey_feedback.csv", 10, 10, []),
    ("qualtrics_feedback.csv", 10, 10, []),
    ("jotform_feedback.csv", 10, 10, []),
    ("crm_activity_notes.csv", 10, 0, []),
]


@pytest.fixture
def company(fresh_db):
    """A fresh database with the small catalog and roster the exports refer to."""
    ingest_file(fresh_db, "messages", EXPORTS / "_catalog.csv")
    ingest_file(fresh_db, "reps", EXPORTS / "_roster.csv")
    return fresh_db


def _only_expected_warnings(result, allowed: list[str]) -> None:
    unexpected = [w for w in result.warnings if not any(re.search(p, w) for p in allowed)]
    assert unexpected == []
    assert result.rows_rejected == 0, result.rejects


def test_the_corpus_has_a_cited_fixture_for_every_export_it_tests():
    files = {p.name for p in EXPORTS.glob("*.csv") if not p.name.startswith("_")}
    tested = {f for f, *_ in CRM + QUIZ + FEEDBACK}
    assert files == tested and len(files) >= 25
    readme = (EXPORTS / "README.md").read_text(encoding="utf-8")
    assert all(f"`{f}`" in readme for f in files)


@pytest.mark.parametrize("name,rows,outcomes,allowed", CRM, ids=[c[0] for c in CRM])
def test_crm_exports_load_without_a_map_with_their_outcomes(company, name, rows, outcomes, allowed):
    r = ingest_file(company, "crm", EXPORTS / name)
    _only_expected_warnings(r, allowed)
    assert r.kind == "crm" and r.rows_inserted == rows
    got = dict(company.execute("SELECT outcome, count(*) FROM opportunities GROUP BY 1").fetchall())
    assert (got.get("won", 0), got.get("lost", 0), got.get("open", 0)) == outcomes
    # Every deal has its owner on the roster (by name, email) or a CRM owner id, and a close date when closed.
    assert company.execute("SELECT count(*) FROM opportunities WHERE rep_id IS NULL AND owner_crm_id IS NULL"
                           ).fetchone()[0] == 0
    assert company.execute("SELECT count(*) FROM opportunities WHERE outcome <> 'open' AND close_date IS NULL"
                           ).fetchone()[0] == 0


@pytest.mark.parametrize("name,rows,n_scored,allowed", QUIZ, ids=[c[0] for c in QUIZ])
def test_quiz_exports_load_without_a_map_with_their_scores(company, name, rows, n_scored, allowed):
    r = ingest_file(company, "quiz", EXPORTS / name)
    _only_expected_warnings(r, allowed)
    assert r.rows_inserted == rows
    n, mean, low, high, on_roster, in_catalog = company.execute("""
        SELECT count(score), avg(score), min(score), max(score),
               count(*) FILTER (WHERE r.in_roster), count(*) FILTER (WHERE m.in_catalog)
        FROM quiz_attempts q LEFT JOIN reps r USING (rep_id) LEFT JOIN messages m USING (message_id)""").fetchone()
    assert n == n_scored
    assert 0 <= low and high <= 1 and mean > 0.4      # shares, not points read as percentages
    assert on_roster == rows and in_catalog == rows


@pytest.mark.parametrize("name,rows,n_rated,allowed", FEEDBACK, ids=[c[0] for c in FEEDBACK])
def test_feedback_exports_load_without_a_map_with_their_ratings(company, name, rows, n_rated, allowed):
    r = ingest_file(company, "feedback", EXPORTS / name)
    _only_expected_warnings(r, allowed)
    assert r.rows_inserted == rows
    n, low, high, on_roster, in_catalog = company.execute("""
        SELECT count(rating), min(rating), max(rating), count(*) FILTER (WHERE r.in_roster),
               count(*) FILTER (WHERE m.in_catalog)
        FROM feedback f LEFT JOIN reps r USING (rep_id) LEFT JOIN messages m USING (message_id)""").fetchone()
    assert n == n_rated
    assert n == 0 or (1 <= low and high <= 5)
    assert on_roster == rows and in_catalog == rows
    if n_rated == 0:
        assert "rating" in r.missing_optional
