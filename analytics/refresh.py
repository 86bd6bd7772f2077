"""After every upload or undo: store the default view's expensive results for the new data version.

What the pages ask for on first sight (the sidebar's default filters): the fitted memory model and its evaluation,
the forgetting curves, the lift bootstrap, the feedback themes and distinctive terms, the rep x message rows, the
memory states and the forecast of the as-of date, which pairs are above the retention target on the Overview's
dates and the Retention trend's weeks, the Overview's landing view, the scorecard and each message's event study
(analytics.results stores them). The memory states, the forecast, the pairs above target
and the every-rep rep x message rows do not depend on the filters, so a team, region, manager or message filter on
the Overview, Adoption or Retention reads them too and only selects rows.
`python -m analytics.refresh [--db PATH]` does it by hand and prints the seconds per step.
"""

from __future__ import annotations

import argparse
import time
from datetime import date

from analytics import db
from analytics.filters import Filters, options
from analytics.metrics.periods import default_period, period_of
from analytics.results import TABLE, has_table, save, store_call
from analytics.views import feedback, forgetting, impact, overview, queries, scorecard
from analytics.views import retention as retention_views
from analytics.views.lift import _messages, lift_arguments, message_lift


def default_view(con, today: date | None = None):
    """The filters and as-of date a page starts with: the sidebar's full date range, ending no later than today."""
    lo, hi = options(con)["date_range"]
    today = today or date.today()
    filters = Filters(start=lo, end=max(lo, min(hi, today))) if lo and hi else Filters()
    return filters, period_of(filters, today).end


def landing_view(con, today: date | None = None):
    """The Overview's first sight: the default filters, its period (the last full quarter) and its as-of date."""
    filters, as_of = default_view(con, today)
    today = today or date.today()
    return filters, default_period(today, options(con)["date_range"][0]) or period_of(filters, today), as_of


def refresh(con, today: date | None = None) -> dict[str, float | str]:
    """Store the default view's expensive results for the current data version (after every upload or undo)."""
    # Returns the seconds per step; a step that fails is reported (its text instead of seconds) and left to compute
    # on demand, since the upload itself succeeded. Results of older data versions are deleted.
    if not has_table(con):
        db.migrate(con)
    con.execute(f"DELETE FROM {TABLE} WHERE data_version <> $v", {"v": db.data_version(con)})
    if con.execute("SELECT count(*) FROM uploads WHERE status = 'active'").fetchone()[0] == 0:
        return {}
    filters, as_of = default_view(con, today)
    timings: dict[str, float | str] = {}

    def step(label, fn):
        started = time.perf_counter()
        try:
            out = fn()
        except Exception as exc:             # the upload succeeded; a failed step computes on demand later
            timings[label] = f"failed: {type(exc).__name__}: {exc}"
            return None
        timings[label] = round(time.perf_counter() - started, 3)
        return out

    model = step("retention model", lambda: store_call(con, retention_views.retention_model))
    step("retention evaluation", lambda: store_call(con, retention_views.evaluation))
    step("forgetting curves", lambda: store_call(con, retention_views.curves, model))
    step("forgotten after 30 days", lambda: store_call(con, retention_views.forgotten, model))
    step("lift", lambda: store_call(con, message_lift, **lift_arguments(filters, as_of)))
    _, period, now = landing_view(con, today)
    days = overview.landing_dates(period, now)
    step("rep x message rows", lambda: [store_call(con, queries.rep_message, filters, day)
                                        for day in dict.fromkeys((*days, as_of))])
    step("memory states", lambda: [store_call(con, forgetting.practiced_scores, list(on), model=model)
                                   for on in dict.fromkeys(((as_of,), (today or date.today(),)))])
    step("forecast", lambda: store_call(con, forgetting.forecast, [as_of], model=model))
    step("above target", lambda: [store_call(con, retention_views.above_target, on, model)
                                  for on in dict.fromkeys((days, (as_of,), retention_views.trend_dates(as_of)))])
    step("overview", lambda: store_call(con, overview.landing, filters, period, model, now))
    step("scorecard", lambda: store_call(con, scorecard.scorecard_rows, as_of, model))
    step("event studies", lambda: [store_call(con, impact.event_study, m, filters, as_of)
                                   for m in _messages(con)["message_id"]])
    step("report themes", lambda: store_call(con, feedback.note_themes, as_of=as_of))
    step("feedback themes", lambda: _store_feedback_themes(con, filters))
    return timings


def _store_feedback_themes(con, filters: Filters) -> None:
    """Themes and distinctive terms of every message's notes: one vectorisation for all messages."""
    every = feedback.note_themes.compute(con, filters, None)
    terms = feedback.distinctive_terms_by_message(con, filters)
    for message_id in feedback.messages_with_notes(con, filters):
        one = every[every["message_id"] == message_id].reset_index(drop=True)
        if one.empty:                       # keep the exact empty frame a direct call returns
            one = feedback.note_themes.compute(con, filters, message_id)
        save(con, feedback.note_themes.stored_name, feedback.note_themes.key(con, filters, message_id), one)
        save(con, feedback.distinctive_terms.stored_name,
             feedback.distinctive_terms.key(con, filters, message_id), terms[message_id])


def main(argv: list[str] | None = None) -> None:
    """python -m analytics.refresh [--db PATH]: refresh the stored results and print the seconds per step."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--db", help="database file (default: $HUDDLE_DB or data/huddle.duckdb)")
    a = parser.parse_args(argv)
    con = db.connect(a.db)
    try:
        started = time.perf_counter()
        for label, seconds in refresh(con).items():
            print(f"{label}: {seconds if isinstance(seconds, str) else f'{seconds:.2f} s'}")
        print(f"total: {time.perf_counter() - started:.2f} s")
    finally:
        con.close()


if __name__ == "__main__":
    main()
