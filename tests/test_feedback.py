"""Field feedback: rating intervals, negative share, trends, outcome mix, themes, the demo's truths and the page."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest
from conftest import ROOT
from scipy import stats
from streamlit.testing.v1 import AppTest

from analytics import db
from analytics.metrics import reception
from analytics.views import feedback
from analytics.filters import Filters

D = date


def insert(con, table, rows: list[dict]):
    con.register("incoming", pd.DataFrame(rows))
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
    con.unregister("incoming")


@pytest.fixture
def notes_db(tmp_path):
    """Two messages: Liked rated 4, 5, 4, 3 (Jan) and 5 (Feb); Disliked rated 1, 2, 2 and one unrated entry."""
    con = db.connect(tmp_path / "f.duckdb")
    insert(con, "reps", [{"rep_id": r, "rep_name": r, "team": t, "manager": m, "in_roster": True}
                         for r, t, m in (("r1", "East", "Ann"), ("r2", "East", "Ann"), ("r3", "West", "Bob"))])
    insert(con, "messages", [
        {"message_id": "liked", "message_name": "Liked", "launch_date": D(2026, 1, 1), "in_catalog": True},
        {"message_id": "disliked", "message_name": "Disliked", "launch_date": D(2026, 1, 2), "in_catalog": True},
        {"message_id": "silent", "message_name": "Silent", "launch_date": D(2026, 1, 3), "in_catalog": True}])
    rows = [("liked", "r1", D(2026, 1, 5), 4.0, "Positive"), ("liked", "r2", D(2026, 1, 6), 5.0, "Positive"),
            ("liked", "r3", D(2026, 1, 7), 4.0, "Neutral"), ("liked", "r1", D(2026, 1, 20), 3.0, "Neutral"),
            ("liked", "r2", D(2026, 2, 3), 5.0, "Positive"),
            ("disliked", "r1", D(2026, 1, 9), 1.0, "Objection"), ("disliked", "r3", D(2026, 1, 10), 2.0, "Objection"),
            ("disliked", "r3", D(2026, 2, 11), 2.0, "Lost interest"), ("disliked", None, D(2026, 2, 12), None, None)]
    insert(con, "feedback", [{"feedback_id": f"f{i}", "message_id": m, "rep_id": r, "feedback_date": d,
                              "rating": x, "outcome": o, "notes": "note"} for i, (m, r, d, x, o) in enumerate(rows)])
    yield con
    con.close()


def test_the_interval_on_a_mean_rating_is_the_student_t_interval():
    mean, low, high = reception.mean_interval([1, 2, 3, 4, 5, None])
    half = stats.t.ppf(0.975, 4) * np.std([1, 2, 3, 4, 5], ddof=1) / np.sqrt(5)
    assert mean == 3 and low == pytest.approx(3 - half) and high == pytest.approx(3 + half)
    assert high - low == pytest.approx(3.926, abs=1e-3)
    one = reception.mean_interval([4])
    assert one[0] == 4 and np.isnan(one[1]) and np.isnan(one[2])
    assert all(np.isnan(reception.mean_interval([])))


def test_the_95_percent_interval_covers_the_true_mean_rating_about_95_percent_of_the_time():
    rng = np.random.default_rng(3)
    levels, p = np.arange(1, 6), np.array([0.3, 0.35, 0.2, 0.1, 0.05])     # a poorly received message
    true_mean = float(levels @ p)
    hits = 0
    for _ in range(2000):
        _, low, high = reception.mean_interval(rng.choice(levels, 40, p=p))
        hits += low <= true_mean <= high
    assert 0.93 <= hits / 2000 <= 0.97


def test_ratings_of_two_or_less_are_negative_and_unrated_entries_count_only_in_volume(notes_db):
    rec = feedback.reception(notes_db).set_index("message_id")
    d = rec.loc["disliked"]
    assert (d.n_feedback, d.n_rated, d.n_negative) == (4, 3, 3) and d.share_negative == 1.0
    assert d.mean_rating == pytest.approx(5 / 3)
    liked = rec.loc["liked"]
    assert (liked.n_rated, liked.n_negative, liked.n_reps) == (5, 0, 3) and liked.mean_rating == pytest.approx(4.2)
    assert rec.loc["silent", "n_feedback"] == 0 and np.isnan(rec.loc["silent", "mean_rating"])
    assert list(rec.index) == ["liked", "disliked", "silent"]           # launch order


def test_the_weakest_received_message_needs_enough_ratings(notes_db):
    rec = feedback.reception(notes_db)
    assert reception.weakest_received(rec, min_ratings=3)["message_id"] == "disliked"
    assert reception.weakest_received(rec, min_ratings=4)["message_id"] == "liked"
    assert reception.weakest_received(rec, min_ratings=10) is None


def test_ratings_over_time_are_grouped_by_month_with_counts(notes_db):
    trend = feedback.rating_trend(notes_db, Filters(), "month")
    liked = trend[trend["message_id"] == "liked"].set_index("period")
    assert liked.loc[pd.Timestamp("2026-01-01"), "n_rated"] == 4
    assert liked.loc[pd.Timestamp("2026-01-01"), "mean_rating"] == pytest.approx(4.0)
    assert liked.loc[pd.Timestamp("2026-02-01"), "n_rated"] == 1
    with pytest.raises(ValueError):
        feedback.rating_trend(notes_db, Filters(), "fortnight")


def test_the_outcome_mix_shares_add_up_to_one_per_message(notes_db):
    mix = feedback.outcome_mix(notes_db)
    assert mix.groupby("message_id")["share"].sum().tolist() == pytest.approx([1.0, 1.0])
    disliked = mix[mix["message_id"] == "disliked"].set_index("outcome")["n_feedback"].to_dict()
    assert disliked == {"Objection": 2, "Lost interest": 1, "(none)": 1}


def test_feedback_is_filtered_by_date_team_manager_message_and_visible_reps(notes_db):
    def ids(f):
        return set(feedback.entries(notes_db, f)["feedback_id"])
    assert len(ids(Filters())) == 9
    assert ids(Filters(start=D(2026, 2, 1))) == {"f4", "f7", "f8"}
    assert ids(Filters(teams=("West",))) == {"f2", "f6", "f7"}           # the unmatched entry needs no rep filter
    assert ids(Filters(managers=("Ann",), messages=("disliked",))) == {"f5"}
    assert ids(Filters(rep_ids=("r3",))) == {"f2", "f6", "f7"}
    assert ids(Filters(rep_ids=())) == set()
    assert ids(Filters(teams=("East'; DROP TABLE feedback; --",))) == set()
    assert notes_db.execute("SELECT count(*) FROM feedback").fetchone()[0] == 9


# ------------------------------------------------------------------------------------------ the demo world

def test_on_the_demo_world_the_disliked_message_is_clearly_the_weakest_received(demo_con):
    rec = feedback.reception(demo_con)
    weakest = reception.weakest_received(rec)
    assert weakest["message_name"] == "Platform Consolidation Story"
    others = rec[rec["message_id"] != weakest["message_id"]]
    assert weakest["ci_high"] < others["ci_low"].min()                   # separated by the intervals
    assert weakest["share_negative"] > 2 * others["share_negative"].max()


def test_on_the_demo_world_the_disliked_messages_themes_name_its_planted_complaints(demo_con):
    rec = feedback.reception(demo_con)
    disliked = rec.loc[rec["message_name"] == "Platform Consolidation Story", "message_id"].iloc[0]
    themes = feedback.note_themes(demo_con, Filters(), disliked)
    labels = " | ".join(themes["label"])
    found = [t for t in ("too long", "confused", "pricing claims") if t in labels]
    assert len(found) >= 2, labels
    assert all(len(q) >= 1 for q in themes["quotes"])
    terms = set(feedback.distinctive_terms(demo_con, Filters(), disliked, n=15)["term"])
    assert {"too long", "pricing claims"} & terms


# ------------------------------------------------------------------------------------------ the page

@pytest.fixture
def on_demo(shared_demo, monkeypatch):
    monkeypatch.setenv("HUDDLE_DB", str(shared_demo))
    monkeypatch.delenv("HUDDLE_MIN_GROUP_SIZE", raising=False)


def page() -> AppTest:
    return AppTest.from_file(str(ROOT / "pages" / "marketing" / "feedback.py"), default_timeout=120)


def test_the_feedback_page_makes_the_weakest_message_and_the_quiet_team_obvious(on_demo):
    at = page().run()
    assert not at.exception
    assert len(at.error) == 1 and "Weakest received: Platform Consolidation Story" in at.error[0].value
    assert any("APAC Asia" in w.value for w in at.warning)
    assert at.selectbox(key="feedback_theme_message").value == "platform-consolidation-story"
    assert len(at.get("plotly_chart")) == 5


def test_choosing_another_message_shows_its_themes(on_demo):
    at = page().run()
    before = [m.value for m in at.markdown if m.value.startswith("**")]
    at.selectbox(key="feedback_theme_message").set_value("security-first-value-prop").run()
    assert not at.exception
    after = [m.value for m in at.markdown if m.value.startswith("**")]
    assert after != before


def test_the_message_filter_narrows_the_feedback_page(on_demo):
    at = page().run()
    at.multiselect(key="f_messages").set_value(["security-first-value-prop", "ai-copilot-positioning"]).run()
    assert not at.exception
    table = at.dataframe[0].value
    assert set(table["message_name"]) == {"Security-First Value Prop", "AI Copilot Positioning"}
    assert not any("Platform Consolidation Story" in e.value for e in at.error)


def test_an_empty_database_shows_how_to_load_data_on_the_feedback_page(tmp_path, monkeypatch):
    monkeypatch.setenv("HUDDLE_DB", str(tmp_path / "empty.duckdb"))
    at = page().run()
    assert not at.exception
    assert any("No data loaded yet" in i.value for i in at.info)
