"""Retention page: filtered forecasts, heat-map cells, trend, evaluation, and the page through Streamlit's AppTest."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pandas as pd
import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

import analytics.db as db
from analytics import settings
from analytics.figures import retention as figures
from analytics.views import forgetting
from analytics.views import retention as views
from analytics.views.queries import catalog
from analytics.filters import Filters
from test_lift import tiny_world
from pagetools import HOSTILE, csv_frame, hostile, set_role

PAGE = str(ROOT / "pages" / "enablement" / "retention.py")
TIMEOUT = 180
ON = date(2026, 11, 27)
MANAGER = "Tom Becker"          # manages NA West in the demo company


@pytest.fixture(scope="module")
def demo(demo_world):
    con = db.connect(demo_world["db"], read_only=True)
    yield con, views.retention_model(con)
    con.close()


def download(at: AppTest, label_start: str):
    return next(b for b in at.get("download_button") if b.label.startswith(label_start))


# ------------------------------------------------------------------------------------------ library

def test_without_filters_the_forecast_is_every_rep_and_message(demo):
    con, model = demo
    got = views.forecast(con, Filters(), ON, model)
    want = forgetting.forecast(con, [ON], model=model)
    pd.testing.assert_frame_equal(got, want)
    assert list(views.forecast_csv_rows(got).columns) == views.FORECAST_CSV_COLUMNS


def test_a_team_filter_and_a_managers_scope_keep_only_their_reps(demo):
    con, model = demo
    team = views.forecast(con, Filters(teams=("APAC Asia",)), ON, model)
    assert set(team["team"]) == {"APAC Asia"} and len(team) == 25 * 4
    mine = con.execute("SELECT rep_id FROM reps WHERE manager = $m ORDER BY 1", {"m": MANAGER}).fetchall()
    scoped = Filters(rep_ids=tuple(r[0] for r in mine[:5]))
    got = views.reinforcement(con, scoped, ON, model)
    assert set(got["rep_id"]) <= set(scoped.rep_ids)
    everyone = views.reinforcement(con, Filters(), ON, model)
    assert len(got) == everyone["rep_id"].isin(scoped.rep_ids).sum()


def test_the_reinforcement_list_is_the_libraries_list_within_the_filters(demo):
    con, model = demo
    got = views.reinforcement(con, Filters(managers=(MANAGER,)), ON, model)
    want = forgetting.reinforcement_list(con, ON, model=model)
    want = want[want["manager"] == MANAGER].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, want[got.columns])
    this_week = got["status"] == "due this week"           # first, soonest first; then the overdue, by stake
    assert this_week.iloc[:this_week.sum()].all() and got.loc[this_week, "days_left"].is_monotonic_increasing
    assert (got.loc[~this_week, "days_left"] < 0).all()


def scores_frame() -> pd.DataFrame:
    return pd.DataFrame({
        "rep_id": ["a", "b", "c", "d", "e", "f", "g"],
        "rep_name": ["Ann", "Bob", "Cy", "Dee", "Eve", "Ann", "Gus"],
        "team": ["big", "big", "big", "small", "small", "big", "big"],
        "message": "M", "expected_score": [0.9, 0.7, 0.8, 0.5, 0.6, 0.6, None],
        "n_attempts": [3, 2, 1, 1, 1, 2, 0]})


def test_team_cells_average_trained_reps_and_hide_small_teams():
    cells = views.score_cells(scores_frame(), "team", min_size=3).set_index("group")
    assert cells.loc["big", "n_reps"] == 4
    assert cells.loc["big", "expected_score"] == pytest.approx((0.9 + 0.7 + 0.8 + 0.6) / 4)
    assert cells.loc["small", "is_suppressed"] and pd.isna(cells.loc["small", "expected_score"])


def test_rep_cells_keep_two_reps_with_one_name_apart():
    cells = views.score_cells(scores_frame(), "rep")
    assert sorted(cells["group"]) == ["Ann (a)", "Ann (f)", "Bob", "Cy", "Dee", "Eve"]
    with pytest.raises(ValueError):
        views.score_cells(scores_frame(), "manager")


def test_the_trend_has_one_point_per_week_and_message(demo):
    con, model = demo
    trend = views.share_trend(con, Filters(), ON, 4, model)
    assert sorted(trend["on_date"].unique()) == [date(2026, 10, 30), date(2026, 11, 6), date(2026, 11, 13),
                                                 date(2026, 11, 20), ON]
    assert trend.groupby("on_date").size().eq(4).all()
    assert trend["share_above"].between(0, 1).all() and trend["message_name"].notna().all()


def test_the_thirty_day_figure_and_curves_are_named_in_launch_order(demo):
    con, model = demo
    lost = views.forgotten(con, model)
    order = list(catalog(con)["message_name"])
    assert list(lost["message_name"]) == order
    assert (lost["folk_share_forgotten"] == forgetting.FOLK_SHARE_FORGOTTEN_30D).all()
    curve = views.curves(con, model)
    assert list(dict.fromkeys(curve["message_name"])) == order
    fig = figures.forgotten_chart(lost, {})
    assert any(shape.y0 == forgetting.FOLK_SHARE_FORGOTTEN_30D for shape in fig.layout.shapes)


def test_too_little_history_gives_no_model_no_evaluation_and_unscored_pairs():
    con = tiny_world(db.connect(":memory:"))
    assert views.retention_model(con) is None
    assert views.evaluation(con) is None
    rows = views.forecast(con, Filters(), date(2024, 6, 1), None)
    assert len(rows) == 2 and rows["expected_score"].isna().all()
    assert views.reinforcement(con, Filters(), date(2024, 6, 1), None).empty


# ------------------------------------------------------------------------------------------ page

def test_the_page_shows_curves_heat_map_trend_list_and_evaluation_on_the_demo(demo_app):
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert len(at.get("plotly_chart")) == 5          # curve, 30-day figure, heat map, trend, calibration
    assert len([m for m in at.markdown if "the folk figure is 90%" in m.value]) == 4
    labels = {m.label: m.value for m in at.metric}
    assert float(labels["Model error (MAE)"]) < float(labels["Baseline: last score"])
    assert float(labels["Model error (MAE)"]) < float(labels["Baseline: average score"])
    due = at.dataframe[0].value
    assert len(due) > 0 and (due["days_left"] <= 7).all()
    assert any(i.value == settings.HR_NOTE for i in at.info)
    # the evaluation: FSRS-6 beside the baselines with log loss, AUC, MAE and calibration; the accuracy in words
    table = at.table[0].value.set_index("Forecast")
    assert list(table.columns) == ["Log loss (pass/fail)", "AUC", "Score error (MAE)", "Calibration gap"]
    assert {"Huddle's memory model", "FSRS-6 (published parameters)", "Baseline: last outcome",
            "Baseline: average"} == set(table.index)
    assert table.loc["Huddle's memory model", "Log loss (pass/fail)"] < \
        table.loc["FSRS-6 (published parameters)", "Log loss (pass/fail)"]
    words = next(m.value for m in at.markdown if m.value.startswith("On your data, the forecast's typical error"))
    assert f"**{100 * float(labels['Model error (MAE)']):.0f} points**" in words
    assert f"repeating the last score would be {100 * float(labels['Baseline: last score']):.0f}" in words
    # per message, the fitted forecast of the same retests beside the measured loss, and which to believe
    assert len([m for m in at.markdown if "the model's forecast of the same retests" in m.value
                and ("agree" in m.value or "believe" in m.value)]) == 4


def test_an_empty_database_shows_how_to_load_data(empty_db):
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any("No data loaded yet" in i.value for i in at.info)


def test_too_little_quiz_history_explains_itself(demo_copy):
    con = db.connect(demo_copy)
    con.execute("""DELETE FROM quiz_attempts q WHERE EXISTS (
                       SELECT 1 FROM quiz_attempts p WHERE p.rep_id = q.rep_id AND p.message_id = q.message_id
                       AND (p.attempted_at, p.attempt_id) < (q.attempted_at, q.attempt_id))""")
    db.bump_data_version(con)   # as every upload does: stored results of the old version no longer apply
    con.close()
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any("Not enough quiz history" in i.value for i in at.info)
    assert not at.get("plotly_chart")


def test_the_team_filter_narrows_the_reinforcement_list(demo_app):
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    everyone = at.dataframe[0].value
    at.sidebar.multiselect(key="f_teams").set_value(["APAC Asia"])
    at.run()
    assert not at.exception
    team = at.dataframe[0].value
    assert set(team["team"]) == {"APAC Asia"}
    assert len(team) == (everyone["team"] == "APAC Asia").sum() < len(everyone)


def test_the_forecast_download_has_the_rows_of_the_forecast_command(demo_app, downloads):
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    page = downloads(download(at, "Download the forecast"))
    on = csv_frame(page)["on_date"].iloc[0]
    cli = subprocess.run([sys.executable, "-m", "analytics", "forecast", "--db", str(demo_app), "--on", on],
                         cwd=ROOT, capture_output=True, check=True).stdout.decode("utf-8")
    assert page == cli
    assert len(csv_frame(page)) == 150 * 4


def test_downloads_cannot_run_a_formula(demo_copy, downloads):
    hostile(demo_copy, "UPDATE reps SET rep_name = $name WHERE rep_id = (SELECT min(rep_id) FROM reps)")
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    forecast = csv_frame(downloads(download(at, "Download the forecast")))
    assert "'" + HOSTILE in set(forecast["rep_name"])
    due = csv_frame(downloads(download(at, "Download the reinforcement list")))
    assert list(due.columns) == views.REINFORCE_COLUMNS
    for frame in (forecast, due):
        assert not frame["rep_name"].astype(str).str.startswith(("=", "+", "@")).any()


def test_marketing_sees_team_aggregates_only(demo_app, monkeypatch):
    at = set_role(monkeypatch, AppTest.from_file(PAGE, default_timeout=TIMEOUT), "marketing").run()
    assert not at.exception
    assert not at.get("download_button") and not at.dataframe
    assert at.segmented_control(key="retention_by").options == ["Team"]
    assert any("Rep-level lists are not shown for your role" in i.value for i in at.info)


def test_a_manager_sees_only_their_own_reps(demo_app, downloads, monkeypatch):
    at = set_role(monkeypatch, AppTest.from_file(PAGE, default_timeout=TIMEOUT), f"manager:{MANAGER}").run()
    assert not at.exception
    assert set(at.dataframe[0].value["manager"]) == {MANAGER}
    forecast = csv_frame(downloads(download(at, "Download the forecast")))
    assert set(forecast["team"]) == {"NA West"} and len(forecast) == 25 * 4
