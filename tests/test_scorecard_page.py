"""The Message scorecard: library frame (report + retention), sorting, and the page through Streamlit's AppTest."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from streamlit.testing.v1 import AppTest

import analytics.db as db
from analytics.figures import tables
from analytics.views import report, scorecard
from analytics.views.retention import retention_model
from pagetools import HOSTILE, csv_frame, hostile
from test_lift import tiny_world

PAGE = str(ROOT / "pages" / "marketing" / "scorecard.py")
TIMEOUT = 120


def first_frame(at: AppTest) -> pd.DataFrame:
    return at.dataframe[0].value


# ------------------------------------------------------------------------------------------ library

@pytest.fixture(scope="module")
def card(demo_world):
    con = db.connect(demo_world["db"], read_only=True)
    as_of = date.fromisoformat(demo_world["truth"]["end"])
    model = retention_model(con)
    yield {"frame": scorecard.message_scorecard(con, as_of, model=model, n_boot=100),
           "report": report.build_report(con, as_of, n_boot=100), "model": model}
    con.close()


def test_the_scorecard_is_the_report_plus_retention_one_row_per_message(card):
    frame, rep = card["frame"], card["report"]
    assert list(frame.columns) == list(scorecard.COLUMNS)
    assert list(frame["message"]) == [m["message"] for m in rep["messages"]]
    for key in ("certification_rate", "adjusted_lift_pp", "ci_low_pp", "ci_high_pp", "evidence", "avg_rating"):
        assert list(frame[key]) == [m[key] for m in rep["messages"]], key
    assert frame["message_id"].is_unique


def test_retained_reps_are_certified_reps_and_the_thirty_day_loss_is_a_share(card):
    frame = card["frame"]
    assert (frame["reps_retained"] <= frame["reps_certified"]).all()
    assert frame["retained_share"].between(0, 1).all()
    measured = frame["share_forgotten_30d"].dropna()
    assert len(measured) == len(frame) and measured.between(-1, 1).all()
    assert (frame["retests_30d"] > 0).all()


def test_each_row_carries_the_plain_language_sentence_of_its_lift(card):
    frame = card["frame"]
    for row in frame.itertuples():
        assert row.summary.startswith(("Deals by certified reps", "Not enough data"))
        assert f"Evidence: {row.evidence}" in row.summary or row.evidence == "insufficient"


def test_the_message_filter_keeps_only_the_chosen_messages(demo_con, card):
    wanted = tuple(card["frame"]["message_id"].iloc[[1, 3]])
    frame = scorecard.message_scorecard(demo_con, date(2026, 11, 27), wanted, card["model"], n_boot=50)
    assert list(frame["message_id"]) == list(wanted)


def test_sorting_puts_the_largest_first_and_missing_values_last():
    frame = pd.DataFrame({"message": list("abcd"), "adjusted_lift_pp": [1.0, np.nan, 5.0, -2.0],
                          "evidence": ["directional", "insufficient", "strong", "moderate"]})
    assert list(scorecard.sort_scorecard(frame, "Adjusted lift")["message"]) == ["c", "a", "d", "b"]
    assert list(scorecard.sort_scorecard(frame, "Adjusted lift", descending=False)["message"]) == ["d", "a", "c", "b"]
    assert list(scorecard.sort_scorecard(frame, "Evidence")["message"]) == ["c", "d", "a", "b"]
    assert list(scorecard.sort_scorecard(frame, "Launch order")["message"]) == list("abcd")
    with pytest.raises(ValueError):
        scorecard.sort_scorecard(frame, "rep_name; DROP TABLE reps")


def test_too_little_quiz_history_leaves_the_retention_columns_empty_not_broken():
    con = tiny_world(db.connect(":memory:"))
    model = retention_model(con)
    assert model is None
    frame = scorecard.message_scorecard(con, date(2024, 6, 1), model=model, n_boot=20)
    assert len(frame) == 1
    assert frame[["reps_retained", "retained_share", "share_forgotten_30d"]].isna().all().all()
    assert frame["retests_30d"].tolist() == [0]


# ------------------------------------------------------------------------------------------ page

def test_the_page_shows_the_scorecard_of_the_demo_company(demo_app):
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    shown = first_frame(at)
    assert len(shown) == 4
    assert {"retained_share", "share_forgotten_30d", "adjusted_lift_pp", "ci_low_pp", "evidence",
            "avg_rating"} <= set(shown.columns)
    assert shown["retained_share"].notna().all()
    sentences = [m.value for m in at.markdown if "comparable deals" in m.value]
    assert len(sentences) == 4


def test_an_empty_database_shows_how_to_load_data(empty_db):
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any("No data loaded yet" in i.value for i in at.info)


def test_sorting_by_adjusted_lift_smallest_first_reorders_the_table(demo_app):
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    launch_order = list(first_frame(at)["message"])
    at.segmented_control(key="scorecard_sort").set_value("Adjusted lift")
    at.toggle(key="scorecard_descending").set_value(False)
    at.run()
    assert not at.exception
    shown = first_frame(at)
    assert list(shown["message"]) != launch_order
    assert shown["adjusted_lift_pp"].is_monotonic_increasing
    assert shown["message"].iloc[0] == "ROI Calculator Talk Track"


def test_the_sidebar_message_filter_narrows_the_scorecard(demo_app):
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    at.sidebar.multiselect(key="f_messages").set_value(["roi-calculator-talk-track"])
    at.run()
    assert not at.exception
    assert list(first_frame(at)["message"]) == ["ROI Calculator Talk Track"]


def test_the_download_is_the_shown_scorecard_and_cannot_run_a_formula(demo_copy, downloads):
    hostile(demo_copy, "UPDATE messages SET message_name = $name WHERE message_id = 'roi-calculator-talk-track'")
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    assert not at.exception
    text = downloads(at.get("download_button")[0])
    got = csv_frame(text)
    people = scorecard.for_people(pd.DataFrame(columns=[c for c in scorecard.COLUMNS
                                                         if c not in ("message_id", "method")]))
    assert list(got.columns) == [scorecard.HEADERS[c] for c in people.columns]     # human headers
    assert len(got) == len(first_frame(at))
    assert "'" + HOSTILE in set(got["Message"])
    assert not any(line.startswith(("=", "+", "-", "@")) for line in text.splitlines())
    assert not any(str(v).startswith(("=", "+", "@")) for v in got["Message"])


def test_marketing_reads_the_harmful_message_from_the_first_columns(demo_app):
    at = AppTest.from_file(PAGE, default_timeout=TIMEOUT).run()
    shown = first_frame(at)
    assert list(shown.columns[:6]) == list(scorecard.ANSWER_COLUMNS)
    reading = dict(zip(shown["message"], shown["verdict"]))
    assert reading["ROI Calculator Talk Track"] == "Lowers win rates"
    styles = at.dataframe[0].proto.arrow_data.styler.styles
    assert "rgba(214, 69, 61" in styles                    # the harmful row's answer cells are tinted red


def test_a_message_for_every_segment_says_all_deals_and_missing_figures_show_a_dash():
    frame = pd.DataFrame({"message": ["A", "B"], "target_segment": [None, "Enterprise"],
                          "adjusted_lift_pp": [float("nan"), 4.0], "ci_low_pp": [float("nan"), 1.5],
                          "ci_high_pp": [float("nan"), 6.5], "evidence": ["insufficient", "moderate"],
                          "certification_rate": [0.6910569105691057, 0.5]})
    people = scorecard.for_people(frame)
    assert list(people["target_segment"]) == ["All deals", "Enterprise"]
    assert list(people["verdict"]) == ["Uncertain", "Raises win rates"]
    html = tables.for_people(people, scorecard.KINDS).to_html()
    assert "None" not in html and "nan" not in html and "–" in html
    assert "69%" in html and "+4.0 pp" in html and "0.691" not in html
