"""The analytics commands' public output on the demo database: forecast rows and the report's shape."""

from __future__ import annotations

import csv
import io
import json

from test_uploads import run_cli

FORECAST_COLUMNS = ["rep_email", "rep_name", "team", "message", "on_date", "expected_score", "half_life_days",
                    "last_practiced", "n_attempts", "reinforce_by"]


def test_forecast_csv_lists_every_rep_and_message_for_each_date(demo_world):
    res = run_cli("forecast", "--db", str(demo_world["db"]), "--on", "2026-11-27", "--on", "2027-01-15")
    assert res.returncode == 0, res.stderr
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert list(rows[0]) == FORECAST_COLUMNS
    assert len(rows) == 150 * 4 * 2
    assert {r["on_date"] for r in rows} == {"2026-11-27", "2027-01-15"}
    never = [r for r in rows if r["n_attempts"] == "0"]
    assert never and all(r["expected_score"] == "" for r in never)
    trained = [r for r in rows if r["n_attempts"] not in ("", "0")]
    assert all(0 <= float(r["expected_score"]) <= 1 for r in trained)


def test_forecast_json_has_the_same_keys_and_iso_dates(demo_world):
    res = run_cli("forecast", "--db", str(demo_world["db"]), "--on", "2026-11-27", "--format", "json")
    rows = json.loads(res.stdout)
    assert list(rows[0]) == FORECAST_COLUMNS
    dated = next(r for r in rows if r["last_practiced"])
    assert len(dated["last_practiced"]) == 10 and dated["on_date"] == "2026-11-27"


def test_report_json_has_the_documented_keys(demo_world):
    res = run_cli("report", "--db", str(demo_world["db"]), "--as-of", "2026-11-27", "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["as_of"] == "2026-11-27"
    assert set(out["data"]) == {"opportunities", "closed_deals", "reps", "quiz_attempts", "feedback",
                                "unmatched_owners"}
    assert len(out["messages"]) == 4
    assert set(out["messages"][0]) == {
        "message", "launch_date", "target_segment", "reps_in_scope", "reps_certified", "certification_rate",
        "median_days_to_certify", "closed_deals_adopted", "closed_deals_not_adopted", "reps_adopted",
        "reps_not_adopted", "win_rate_adopted", "win_rate_not_adopted", "naive_lift_pp", "adjusted_lift_pp",
        "ci_low_pp", "ci_high_pp", "evidence", "method", "feedback_count", "avg_rating", "top_themes"}


def test_report_with_the_robust_estimator_keeps_every_key_and_adds_diagnostics_and_an_event_study(demo_world):
    res = run_cli("report", "--db", str(demo_world["db"]), "--as-of", "2026-11-27", "--json",
                  "--estimator", "robust_imputation")
    assert res.returncode == 0, res.stderr
    default = json.loads(run_cli("report", "--db", str(demo_world["db"]), "--as-of", "2026-11-27", "--json").stdout)
    out = json.loads(res.stdout)
    assert out["data"] == default["data"] and len(out["messages"]) == len(default["messages"]) == 4
    for robust, plain in zip(out["messages"], default["messages"]):
        assert set(robust) == set(plain) | {"diagnostics", "event_study"}
        assert robust["message"] == plain["message"]
        assert robust["closed_deals_adopted"] == plain["closed_deals_adopted"]
        assert robust["method"].startswith("imputation DiD") and robust["method"] != plain["method"]
        assert all(isinstance(note, str) for note in robust["diagnostics"])
        assert all(row["kind"] in ("lead", "lag") and isinstance(row["months"], str) for row in robust["event_study"])
    assert any(row["event_study"] for row in out["messages"])


def test_report_refuses_an_unknown_estimator(demo_world):
    res = run_cli("report", "--db", str(demo_world["db"]), "--estimator", "magic")
    assert res.returncode != 0 and "invalid choice" in res.stderr


def test_report_without_json_prints_a_readable_table(demo_world):
    res = run_cli("report", "--db", str(demo_world["db"]))
    assert res.returncode == 0 and "Security-First Value Prop" in res.stdout


def test_rejected_rows_download_is_formula_safe(tmp_path, write):
    dbp = tmp_path / "c.duckdb"
    text = ('opportunity_id,sales_agent,deal_stage,close_date\n1,"=HYPERLINK(""http://x"")",Won,nope\n'
            "2,Ann Lee,Lost,2026-01-02\n")     # a date column none of whose values reads is refused outright
    out = json.loads(run_cli("ingest", "crm", str(write("x.csv", text)), "--db", str(dbp), "--json").stdout)
    res = run_cli("rejects", str(out["upload_id"]), "--db", str(dbp))
    assert res.returncode == 0
    rows = list(csv.DictReader(io.StringIO(res.stdout)))
    assert rows[0]["sales_agent"] == "'=HYPERLINK(\"http://x\")" and rows[0]["line_number"] == "2"
