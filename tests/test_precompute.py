"""Stored results: equal to computing on demand, read only for the data version they were computed on."""

from __future__ import annotations

import dataclasses
import shutil
from datetime import date, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from analytics import db, refresh, results
from analytics.estimators.memory import MemoryModel
from analytics.estimators.memory_head import Head
from analytics.estimators.lift import N_BOOT
from analytics.views import feedback, forgetting, impact, lift, overview, queries, scorecard
from analytics.views import retention as views
from analytics.views.lift import lift_arguments
from analytics.ingest.load import ingest_file
from test_lift import planted_world, tiny_world

TODAY = date(2026, 11, 27)
D = date


@pytest.fixture(scope="module")
def refreshed(demo_world, tmp_path_factory):
    """A copy of the demo database with the default view precomputed as of TODAY."""
    path = tmp_path_factory.mktemp("precompute") / "demo.duckdb"
    shutil.copy(demo_world["db"], path)
    con = db.connect(path)
    timings = refresh.refresh(con, TODAY)
    yield con, timings
    con.close()


def same(stored, computed) -> None:
    """Equal values: frames cell by cell with their dtypes, models field by field, dicts key by key."""
    if isinstance(computed, pd.DataFrame):
        pd.testing.assert_frame_equal(stored, computed, check_exact=True)
    elif isinstance(computed, dict):
        assert stored.keys() == computed.keys()
        for key in computed:
            same(stored[key], computed[key])
    elif isinstance(computed, MemoryModel):
        np.testing.assert_array_equal(stored.parameters_, computed.parameters_)
        for field in dataclasses.fields(computed):
            if field.name == "parameters_":
                continue
            want, got = getattr(computed, field.name), getattr(stored, field.name)
            if isinstance(want, Head):
                for part in dataclasses.fields(want):
                    np.testing.assert_array_equal(getattr(got, part.name), getattr(want, part.name), part.name)
            else:
                assert got == want, field.name
        assert stored.fingerprint == computed.fingerprint
    else:
        assert stored == computed


def default_calls(con):
    """Every stored function with the arguments the pages pass on first sight, as (label, function, args, kwargs)."""
    filters, as_of = refresh.default_view(con, TODAY)
    model = views.retention_model(con)
    calls = [("model", views.retention_model, (), {}), ("evaluation", views.evaluation, (), {}),
             ("curves", views.curves, (model,), {}), ("forgotten", views.forgotten, (model,), {}),
             ("forgotten (scorecard)", views.forgotten, (model, 30), {}),
             ("lift (pages)", lift.message_lift, (), {**lift_arguments(filters, as_of), "n_boot": N_BOOT}),
             ("lift (report)", lift.message_lift, (), {"as_of": as_of, "n_boot": N_BOOT}),
             ("report themes", feedback.note_themes, (), {"as_of": as_of})]
    for message_id in feedback.messages_with_notes(con, filters):
        calls.append((f"themes {message_id}", feedback.note_themes, (filters, message_id), {}))
        calls.append((f"terms {message_id}", feedback.distinctive_terms, (filters, message_id), {}))
    _, period, now = refresh.landing_view(con, TODAY)
    days = overview.landing_dates(period, now)
    for day in (*days, as_of):
        calls.append((f"rep x message {day}", queries.rep_message, (filters, day), {}))
    calls += [("memory states (scorecard)", forgetting.practiced_scores, ([as_of],), {"model": model}),
              ("forecast (retention)", forgetting.forecast, ([as_of],), {"model": model}),
              ("above target (overview)", views.above_target, (days, model), {}),
              ("above target (scorecard)", views.above_target, ((as_of,), model), {}),
              ("above target (retention trend)", views.above_target, (views.trend_dates(as_of), model), {}),
              ("overview", overview.landing, (filters, period, model, now), {}),
              ("scorecard", scorecard.scorecard_rows, (as_of, model), {})]
    for message_id in lift._messages(con)["message_id"]:
        calls.append((f"event study {message_id}", impact.event_study, (message_id, filters, as_of), {}))
    return calls


def test_refresh_stores_every_default_result_and_reports_its_seconds(refreshed):
    con, timings = refreshed
    assert timings and all(isinstance(s, float) for s in timings.values()), timings
    stored = results.status(con).set_index("name")["n_results"]
    assert set(stored.index) == set(results.STORED)
    for label, fn, args, kwargs in default_calls(con):
        key = fn.key(con, *args, **kwargs)
        assert results.load(con, fn.stored_name, key) is not results.MISSING, label


def test_a_stored_result_is_exactly_what_computing_on_demand_gives(refreshed):
    con, _ = refreshed
    for label, fn, args, kwargs in default_calls(con):
        stored = fn(con, *args, **kwargs)
        computed = fn.compute(con, *args, **kwargs)
        try:
            same(stored, computed)
        except AssertionError as exc:
            raise AssertionError(f"{label}: {exc}") from exc


def test_an_upload_invalidates_the_stored_results_until_the_next_refresh(demo_world, tmp_path):
    path = tmp_path / "demo.duckdb"
    shutil.copy(demo_world["db"], path)
    con = db.connect(path)
    try:
        refresh.refresh(con, TODAY)
        key = views.retention_model.key(con)
        name = views.retention_model.stored_name
        before = results.load(con, name, key)
        assert before is not results.MISSING
        extra = tmp_path / "more_feedback.csv"
        extra.write_text("Date;Rep;Message;Rating;Outcome;Notes\n"
                         "20.11.2026;astrid.lefevre@huddle-demo.com;Security-First Value Prop;1;Objection;"
                         "Far too long for a first call.\n", encoding="utf-8")
        ingest_file(con, "feedback", extra, uploaded_by="test")
        assert results.load(con, name, key) is results.MISSING        # the upload bumped the data version
        assert results.status(con).empty
        refresh.refresh(con, TODAY)
        assert results.load(con, name, key) is not results.MISSING
        versions = con.execute("SELECT DISTINCT data_version FROM precomputed").fetchall()
        assert versions == [(db.data_version(con),)]                      # older versions' rows are gone
    finally:
        con.close()


def test_a_filtered_view_is_computed_not_read_from_the_store(refreshed):
    con, _ = refreshed
    filters, as_of = refresh.default_view(con, TODAY)
    team = con.execute("SELECT min(team) FROM reps").fetchone()[0]
    kwargs = {**lift_arguments(filters, as_of), "teams": (team,)}
    key = lift.message_lift.key(con, **kwargs)
    assert results.load(con, lift.message_lift.stored_name, key) is results.MISSING
    out = lift.message_lift(con, **kwargs)
    assert len(out) == 4


def test_a_rep_or_message_filter_selects_the_stored_every_rep_rows_exactly_as_the_query_filters(refreshed):
    con, _ = refreshed
    filters, as_of = refresh.default_view(con, TODAY)
    team, region, manager = con.execute("SELECT min(team), max(region), min(manager) FROM reps").fetchone()
    reps = tuple(r for (r,) in con.execute("SELECT rep_id FROM reps ORDER BY rep_id LIMIT 7").fetchall())
    message = lift._messages(con)["message_id"].iloc[1]
    for narrowed in (dataclasses.replace(filters, teams=(team,)), dataclasses.replace(filters, regions=(region,)),
                     dataclasses.replace(filters, managers=(manager,), messages=(message,)),
                     dataclasses.replace(filters, rep_ids=reps), dataclasses.replace(filters, rep_ids=())):
        assert queries.stored_every_rep_message(con, narrowed, as_of) is not None       # answered from stored rows
        selected = queries.rep_message(con, narrowed, as_of)
        queried = queries.run(con, "queries/rep_message", {**narrowed.params(), "as_of": as_of})
        pd.testing.assert_frame_equal(selected, queried, check_exact=True)
    segment = dataclasses.replace(filters, segments=("Enterprise",))        # needs the reps' deals: queried
    assert queries.stored_every_rep_message(con, segment, as_of) is None


def test_the_share_above_target_from_stored_pairs_counts_as_every_pair_and_date_does(refreshed):
    con, _ = refreshed
    filters, as_of = refresh.default_view(con, TODAY)
    model = views.retention_model(con)
    team = con.execute("SELECT min(team) FROM reps").fetchone()[0]
    days = views.trend_dates(as_of)
    key = views.above_target.key(con, days, model)
    assert results.load(con, views.above_target.stored_name, key) is not results.MISSING   # the trend reads it
    every = forgetting.practiced_scores.compute(con, list(days), model=model)     # every pair on every date
    for chosen in (filters, dataclasses.replace(filters, teams=(team,))):
        got = views.retention_share(con, chosen, days, model)
        certified = views.certified_on(con, chosen, days)
        certified["on_date"] = pd.to_datetime(certified["on_date"])
        scores = every.assign(on_date=pd.to_datetime(every["on_date"]).astype(certified["on_date"].dtype))
        want = views.share_above_target(certified, scores)
        want["on_date"] = want["on_date"].dt.date
        assert len(got) > 0 and got["n_certified"].sum() > got["n_above"].sum() > 0
        pd.testing.assert_frame_equal(got, want[got.columns], check_exact=True)


def test_close_dates_that_admit_the_same_deals_share_one_key_and_others_do_not():
    con = tiny_world(db.connect(":memory:"))     # matched closed deals on 1 Feb, 1 Mar, 1 May and 2 May 2024
    key = lift.message_lift.key
    assert key(con) == key(con, as_of=D(2024, 5, 2)) == key(con, as_of=D(2026, 1, 1))
    assert key(con) == key(con, date_from=D(2024, 1, 1), date_to=D(2024, 6, 30))
    assert key(con, as_of=D(2024, 4, 20)) == key(con, as_of=D(2024, 3, 1)) == key(con, date_to=D(2024, 4, 30))
    assert key(con, date_from=D(2024, 2, 2)) == key(con, date_from=D(2024, 3, 1))
    assert key(con, as_of=D(2024, 4, 20)) != key(con, as_of=D(2024, 5, 1))
    assert key(con, as_of=D(2024, 1, 1)) == key(con, as_of=D(2023, 6, 1)) != key(con)       # no deal at all
    assert key(con) != key(con, teams=("a",)) != key(con, teams=("b",))
    assert key(con) != key(con, n_boot=10)
    pd.testing.assert_frame_equal(lift.message_lift(con, as_of=D(2024, 4, 20), n_boot=20),
                                  lift.message_lift(con, as_of=D(2024, 3, 1), n_boot=20))


def test_lifts_with_equal_keys_are_equal():
    con = db.connect(":memory:")
    planted_world(con, n_reps=60, deals_per_rep=30, seed=5)
    last = con.execute("SELECT max(close_date) FROM opportunities").fetchone()[0]
    a = lift.message_lift(con, n_boot=50)
    b = lift.message_lift(con, as_of=last + timedelta(days=10), date_from=date(1990, 1, 1), n_boot=50)
    assert lift.message_lift.key(con, n_boot=50) == lift.message_lift.key(con, as_of=last + timedelta(days=10),
                                                                         date_from=date(1990, 1, 1), n_boot=50)
    pd.testing.assert_frame_equal(a, b)


def test_frames_models_dates_and_lists_survive_the_round_trip():
    frame = pd.DataFrame({"name": ["a", None], "day": [date(2026, 1, 2), None],
                          "at": pd.to_datetime(["2026-01-02 10:00", None]), "terms": [["x", "y"], []],
                          "value": [1.5, np.nan], "n": [1, 2], "flag": [True, False]})
    head = Head(0.1, 1.2, np.array([0.5, -0.25, 0.0, 1.0, 2.0, -3.0]), 0.2, 0.8, ("m",), ("r1", "r2"),
                np.array([0.3]), np.array([-0.1, 0.1]))
    model = MemoryModel(n_attempts_=10, n_repeat_attempts_=5, messages_=("m",), pass_rate_=0.7, cap_days_=90.0,
                        validation_={"fsrs6": 0.5, "fsrs6_head": 0.4}, variant_="fsrs6_head",
                        parameters_=np.linspace(0.1, 2.1, 21), recall_head_=head, score_head_=Head(),
                        n_fit_reviews_=7)
    value = {"frame": frame, "model": model, "cutoff": pd.Timestamp("2026-03-01 12:00"), "on": date(2026, 1, 1),
             "at": datetime(2026, 1, 1, 8), "pair": ("a", 1), "none": None, "nan": float("nan"), "n": np.int64(3)}
    back = results.decode(results.encode(value))
    pd.testing.assert_frame_equal(back["frame"], frame)
    assert back["frame"]["terms"].tolist() == [["x", "y"], []]
    same(back["model"], model)
    assert (back["cutoff"], back["on"], back["at"], back["pair"], back["none"], back["n"]) == \
        (value["cutoff"], value["on"], value["at"], value["pair"], None, 3)
    assert np.isnan(back["nan"])


def test_only_huddles_own_dataclasses_are_rebuilt_from_the_database():
    text = results.encode(MemoryModel(parameters_=np.zeros(21)))
    with pytest.raises(ValueError):
        results.decode(text.replace("analytics.estimators.memory:MemoryModel", "subprocess:Popen"))


def test_an_empty_database_has_nothing_to_store(tmp_path):
    con = db.connect(tmp_path / "empty.duckdb")
    try:
        assert refresh.refresh(con) == {}
        assert results.status(con).empty
    finally:
        con.close()


def test_a_database_without_the_table_computes_on_demand(demo_world, tmp_path):
    path = tmp_path / "old.duckdb"
    shutil.copy(demo_world["db"], path)
    con = db.connect(path)
    con.execute("DROP TABLE precomputed")
    con.close()
    con = db.connect(path, read_only=True)          # read-only: not migrated, so the table stays missing
    try:
        assert not results.has_table(con)
        assert views.retention_model(con) is not None
    finally:
        con.close()


# ------------------------------------------------------------------------------------------ pages read the store

class Counted:
    """Count the real calls of a method (it still runs): how often a page fits an estimator."""

    def __init__(self, monkeypatch, cls, name):
        self.calls = 0
        real = getattr(cls, name)

        def counted(*args, **kwargs):
            self.calls += 1
            return real(*args, **kwargs)
        monkeypatch.setattr(cls, name, counted)


def test_the_impact_page_draws_the_stored_event_study_and_refits_only_for_a_filter(demo_copy, monkeypatch):
    import streamlit as st
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    from analytics.estimators.robust_lift import RobustImputationLift
    st.cache_data.clear()
    fits = Counted(monkeypatch, RobustImputationLift, "fit")
    at = AppTest.from_file(str(ROOT / "pages" / "marketing" / "impact.py"), default_timeout=120).run()
    at.selectbox(key="impact_message").set_value("roi-calculator-talk-track")
    at.run()
    assert not at.exception
    assert any("pre-trend test p =" in m.value for m in at.markdown)       # the event study is drawn
    assert fits.calls == 0
    at.sidebar.multiselect(key="f_teams").set_value([at.sidebar.multiselect(key="f_teams").options[0]])
    at.run()
    assert not at.exception
    assert fits.calls == 1                                                 # a team's deals: fitted for that team


def test_a_team_filter_on_the_overview_reads_the_stored_memory_states(demo_copy, monkeypatch):
    import streamlit as st
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    st.cache_data.clear()
    states = Counted(monkeypatch, MemoryModel, "states")
    at = AppTest.from_file(str(ROOT / "pages" / "leadership" / "overview.py"), default_timeout=120).run()
    assert not at.exception and states.calls == 0
    at.sidebar.multiselect(key="f_teams").set_value([at.sidebar.multiselect(key="f_teams").options[0]])
    at.run()
    assert not at.exception and states.calls == 0
    tiles = {m.label: m.value for m in at.metric}
    assert tiles["Still remembered"] != "not available"


def test_a_team_filter_on_retention_and_adoption_selects_stored_rows_instead_of_querying_or_forecasting(
        demo_copy, monkeypatch):
    import streamlit as st
    from conftest import ROOT
    from streamlit.testing.v1 import AppTest

    queried = []
    real_run = queries.run

    def run(con, name, params):
        queried.append(name)
        return real_run(con, name, params)
    monkeypatch.setattr(queries, "run", run)
    states = Counted(monkeypatch, MemoryModel, "states")
    for page in ("enablement/retention.py", "leadership/adoption.py"):
        st.cache_data.clear()
        at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=120).run()
        assert not at.exception
        queried.clear()
        at.sidebar.multiselect(key="f_teams").set_value([at.sidebar.multiselect(key="f_teams").options[0]])
        at.run()
        assert not at.exception, page
        assert "queries/rep_message" not in queried and "queries/rep_message_selected" in queried, page
        assert states.calls == 0, page                   # no memory state replayed: the stored ones are read
