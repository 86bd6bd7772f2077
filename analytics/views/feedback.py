"""The Field feedback page's questions: reception, ratings over time, outcome mix, themes, distinctive terms, volume.

One API over one query (sql/queries/feedback_entries.sql): every function takes the shared sidebar `Filters` (date
range on the feedback date, rep team / region / manager, the reps a manager may see, message; the segment filter
does not apply: feedback is not tied to a deal) and, for the report, an `as_of` date that keeps undated entries.
Definitions: analytics.metrics.reception (ratings) and analytics.metrics.themes (notes).
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from analytics.db import sql
from analytics.filters import Filters
from analytics.metrics import reception as rec
from analytics.metrics import themes
from analytics.metrics.groups import suppress_small_groups
from analytics.results import stored
from analytics.views.adoption import certification
from analytics.views.lift import message_impact
from analytics.views.queries import catalog, run

QUIET_RATIO = 0.5          # a team sends little feedback below half the median team's entries per rep


def entries(con, filters: Filters = Filters(), as_of: date | None = None) -> pd.DataFrame:
    """Feedback entries dated in the filters' range (and known by `as_of`), for the reps and messages they keep."""
    return run(con, "queries/feedback_entries", {**filters.params(), "as_of": as_of})


def reception(con, filters: Filters = Filters()) -> pd.DataFrame:
    """Per message: feedback volume, mean rating with 95 % interval and share of negative ratings."""
    return rec.reception_from_entries(entries(con, filters), catalog(con, filters))


def rating_trend(con, filters: Filters = Filters(), freq: str = "month") -> pd.DataFrame:
    """Per message and period (week, month or quarter): entries, ratings, mean with interval, negative share."""
    out = rec.trend_from_entries(entries(con, filters), freq)
    return _in_launch_order(con, out, ["period"])


def outcome_mix(con, filters: Filters = Filters()) -> pd.DataFrame:
    """Per message and reported outcome: entries and their share of the message's entries."""
    return _in_launch_order(con, rec.outcome_mix_from_entries(entries(con, filters)), ["n_feedback"], ascending=False)


def feedback_by_message(con, filters: Filters = Filters(), as_of: date | None = None) -> pd.DataFrame:
    """Feedback count and average rating (1-5) per message (the report's columns)."""
    return rec.counts_by_message(entries(con, filters, as_of))


def _themes_key(con, arguments: dict) -> dict:
    """note_themes' arguments with an as-of date on or after the last feedback date dropped (same notes)."""
    if arguments["as_of"] is not None:
        last = con.execute(sql("queries/date_bounds.sql"), {"upper": None, "lower": None}).fetchone()[4]
        if last is None or pd.Timestamp(arguments["as_of"]).date() >= last:
            return {**arguments, "as_of": None}
    return arguments


@stored(key=_themes_key)
def note_themes(con, filters: Filters = Filters(), message_id: str | None = None, quotes: int = 2,
                as_of: date | None = None) -> pd.DataFrame:
    """Themes of the free-text notes per message (TF-IDF + NMF), with representative quotes."""
    out = themes.themes_from_notes(entries(con, filters, as_of), message_id, quotes=quotes)
    names = catalog(con).set_index("message_id")["message_name"]
    out.insert(1, "message_name", out["message_id"].map(names))
    return out


def top_themes(con, message_id: str, k: int = 3, filters: Filters = Filters(), as_of: date | None = None) -> list[str]:
    """Labels of the k most common themes in a message's feedback notes."""
    return note_themes(con, filters, message_id, as_of=as_of)["label"].head(k).tolist()


@stored()
def distinctive_terms(con, filters: Filters, message_id: str, n: int = 10, min_notes: int = 3) -> pd.DataFrame:
    """Terms a message's notes use far more often than the other messages' notes."""
    return themes.distinctive_terms(entries(con, filters), [message_id], n, min_notes)[message_id]


def distinctive_terms_by_message(con, filters: Filters, n: int = 10) -> dict[str, pd.DataFrame]:
    """distinctive_terms of every message with notes, counting the words once (for analytics.refresh)."""
    rows = entries(con, filters)
    return themes.distinctive_terms(rows, messages_with_notes(con, filters, rows), n)


def messages_with_notes(con, filters: Filters, rows: pd.DataFrame | None = None) -> list[str]:
    """Messages with at least one note of text under the filters, in launch order."""
    rows = entries(con, filters) if rows is None else rows
    present = set(themes.notes_with_text(rows)["message_id"])
    return [m for m in catalog(con, filters)["message_id"] if m in present]


def feedback_volume(con, filters: Filters = Filters(), min_size: int | None = None) -> pd.DataFrame:
    """Per team: reps, reps who sent feedback in the period, entries and entries per rep; quiet teams flagged."""
    out = run(con, "queries/feedback_team_volume", filters.params())
    out["team"] = out["team"].fillna("(no team)")
    reps = out["n_reps"].astype(float).where(out["n_reps"] > 0)
    out["share_reps_sending"] = out["n_reps_sending"] / reps
    out["feedback_per_rep"] = out["n_feedback"] / reps
    out = suppress_small_groups(out, "n_reps", ["n_reps_sending", "n_feedback", "share_reps_sending",
                                                "feedback_per_rep"], min_size)
    shown = out.loc[~out["is_suppressed"], "feedback_per_rep"]
    median = shown.median() if len(shown) else float("nan")
    out["is_quiet"] = (out["feedback_per_rep"] < QUIET_RATIO * median).fillna(False).astype(bool)
    return out


def reception_use_effect(con, filters: Filters = Filters(), as_of: date | None = None) -> pd.DataFrame:
    """Per message, side by side: field reception (ratings), use (certification) and effect (adjusted lift)."""
    received = reception(con, filters)
    cert = certification(con, filters, as_of)[["message_id", "reps_in_scope", "reps_certified", "certification_rate"]]
    lifts = message_impact(con, filters, as_of)[["message_id", "adjusted_lift_pp", "ci_low_pp", "ci_high_pp",
                                                 "naive_lift_pp", "evidence"]]
    out = received.merge(cert, on="message_id", how="left").merge(lifts, on="message_id", how="left")
    weakest = rec.weakest_received(received)
    out["is_weakest"] = out["message_id"] == (weakest["message_id"] if weakest else None)
    return out


def _in_launch_order(con, frame: pd.DataFrame, then: list[str], ascending: bool = True) -> pd.DataFrame:
    """Rows ordered by their message's launch, then by `then`."""
    order = {m: i for i, m in enumerate(catalog(con)["message_id"])}
    out = frame.assign(_order=frame["message_id"].map(order))
    return out.sort_values(["_order"] + then, ascending=[True] + [ascending] * len(then), ignore_index=True) \
        .drop(columns="_order")
