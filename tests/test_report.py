"""The message report: exact JSON shape, counts that reconcile, as_of, unmatched owners, table and scorecard."""

import json
from datetime import date

import pandas as pd
import pytest

import analytics.db as db
from analytics.metrics.evidence import EVIDENCE_TIERS
from analytics.views import report
from test_lift import insert, planted_world, tiny_world
from test_themes import feedback_world

AS_OF = date(2026, 1, 1)


@pytest.fixture(scope="module")
def world():
    con = planted_world(db.connect(":memory:"), n_reps=150, deals_per_rep=40)
    con.execute("UPDATE messages SET message_id = 'bad' WHERE message_id = 'm_ent'")
    con.execute("UPDATE quiz_attempts SET message_id = 'bad' WHERE message_id = 'm_ent'")
    feedback_world(con, n_per_message=60, with_messages=False)
    yield con, report.build_report(con, as_of=AS_OF, n_boot=100)
    con.close()


def test_the_report_has_exactly_the_documented_json_shape(world):
    _, r = world
    assert list(r) == ["as_of", "data", "messages"]
    assert r["as_of"] == "2026-01-01"
    assert list(r["data"]) == list(report.DATA_KEYS)
    assert all(list(m) == list(report.MESSAGE_KEYS) for m in r["messages"])
    text = json.dumps(r, allow_nan=False)            # no NaN anywhere: missing values are null
    assert json.loads(text) == r


def test_messages_come_in_launch_order_with_rates_as_fractions_and_lifts_in_points(world):
    con, r = world
    assert [m["message"] for m in r["messages"]] == ["Open", "Enterprise", "Flat"]
    assert [m["launch_date"] for m in r["messages"]] == sorted(m["launch_date"] for m in r["messages"])
    for m in r["messages"]:
        for key in ("certification_rate", "win_rate_adopted", "win_rate_not_adopted"):
            assert 0 <= m[key] <= 1
        assert m["naive_lift_pp"] == pytest.approx(100 * (m["win_rate_adopted"] - m["win_rate_not_adopted"]),
                                                   abs=0.02)
        assert m["ci_low_pp"] <= m["adjusted_lift_pp"] <= m["ci_high_pp"]
        assert m["evidence"] in EVIDENCE_TIERS and m["method"].startswith("imputation")


def test_counts_reconcile_with_the_tables(world):
    con, r = world
    d = r["data"]
    assert d["opportunities"] == con.execute("SELECT count(*) FROM opportunities").fetchall()[0][0]
    assert d["closed_deals"] == d["opportunities"]               # the planted world has no open deals
    assert d["reps"] == 150 and d["feedback"] == 180 and d["unmatched_owners"] == 0
    flat = r["messages"][2]
    in_scope = con.execute("SELECT count(*) FROM opportunities o, messages m WHERE m.message_id = 'm_flat' "
                           "AND o.close_date >= m.launch_date").fetchall()[0][0]
    assert flat["closed_deals_adopted"] + flat["closed_deals_not_adopted"] == in_scope


def test_feedback_and_themes_are_attached_to_their_message(world):
    _, r = world
    bad = r["messages"][1]
    assert bad["feedback_count"] == 60 and bad["avg_rating"] < 3
    assert len(bad["top_themes"]) == 3
    assert any("too long" in t for t in bad["top_themes"])
    assert r["messages"][0]["feedback_count"] == 0 and r["messages"][0]["avg_rating"] is None
    assert r["messages"][0]["top_themes"] == []


def test_deals_closed_after_as_of_are_excluded(world):
    con, full = world
    early = report.build_report(con, as_of=date(2024, 10, 1), n_boot=50)
    assert early["data"]["closed_deals"] < full["data"]["closed_deals"]
    latest = con.execute("SELECT max(close_date) FROM opportunities WHERE close_date <= DATE '2024-10-01'"
                         ).fetchall()[0][0]
    assert early["data"]["closed_deals"] == con.execute(
        "SELECT count(*) FROM opportunities WHERE close_date <= $d", {"d": latest}).fetchall()[0][0]
    flat = early["messages"][2]                                  # launched 2024-12-26: nothing in scope yet
    assert flat["closed_deals_adopted"] == 0 and flat["adjusted_lift_pp"] is None
    assert flat["evidence"] == "insufficient"


def test_as_of_defaults_to_today():
    con = db.connect(":memory:")
    assert report.build_report(con, n_boot=10)["as_of"] == date.today().isoformat()


def test_unmatched_owners_are_distinct_names_without_a_rostered_rep():
    con = tiny_world(db.connect(":memory:"))
    insert(con, "reps", pd.DataFrame({"rep_id": ["admin"], "rep_name": ["Admin"], "in_roster": [False]}))
    insert(con, "opportunities", pd.DataFrame({
        "opportunity_id": ["g1", "g2", "g3", "g4"], "rep_id": [None, None, "admin", "r1"],
        "owner_name": ["Ghost Rep", "ghost  rep", "Admin", "One"], "outcome": "open", "is_closed": False}))
    con.execute("UPDATE opportunities SET owner_name = 'One' WHERE rep_id = 'r1'")
    con.execute("UPDATE opportunities SET owner_name = 'Two' WHERE rep_id = 'r2'")
    con.execute("UPDATE opportunities SET owner_name = 'Nobody' WHERE rep_id IS NULL AND opportunity_id = 'o5'")
    r = report.build_report(con, as_of=AS_OF, n_boot=20)
    assert r["data"]["unmatched_owners"] == 3                    # ghost rep, admin, nobody
    assert r["data"]["reps"] == 3


def test_a_tiny_database_reports_insufficient_evidence_with_nulls():
    con = tiny_world(db.connect(":memory:"))
    m = report.build_report(con, as_of=AS_OF, n_boot=20)["messages"][0]
    assert m["evidence"] == "insufficient"
    assert m["ci_low_pp"] is None and m["ci_high_pp"] is None
    assert m["feedback_count"] == 0 and m["avg_rating"] is None and m["top_themes"] == []
    assert "Not enough data" in report.format_report_table(report.build_report(con, as_of=AS_OF, n_boot=20))


def test_an_empty_database_gives_an_empty_report_and_a_polite_table():
    con = db.connect(":memory:")
    r = report.build_report(con, as_of=AS_OF, n_boot=10)
    assert r["messages"] == [] and set(r["data"].values()) == {0}
    assert "No messages" in report.format_report_table(r)
    assert report.scorecard_frame(r).empty


def test_the_text_table_has_a_line_and_a_sentence_per_message(world):
    _, r = world
    text = report.format_report_table(r)
    for m in r["messages"]:
        assert sum(line.startswith(m["message"]) for line in text.splitlines()) == 2
    assert "Enterprise [Enterprise]" in text and text.count("comparable deals") == 3


def test_the_scorecard_frame_has_one_row_per_message_and_every_field(world):
    _, r = world
    frame = report.scorecard_frame(r)
    assert list(frame.columns) == list(report.MESSAGE_KEYS) and len(frame) == 3
    assert "; " in frame.loc[1, "top_themes"]
    assert frame["adjusted_lift_pp"].notna().all()
