"""Field feedback: how reps and prospects receive each message -- ratings with intervals, outcome mix, negative
share, ratings over time, and the themes of the free-text notes (analytics.themes) -- under the sidebar filters.

Definitions (the one place in the code; the Field feedback page shows them):
- Ratings are on a 1-5 scale; an entry is *negative* when its rating is at most NEGATIVE_RATING (2). Entries
  without a rating count in volumes and the outcome mix but not in ratings or the negative share.
- The interval on a mean rating is the 95 % Student t-interval (mean +- t * sd / sqrt(n)); none below 2 ratings.
- The *weakest-received* message has the lowest mean rating among messages with at least MIN_RATINGS ratings.
- Filters: date range on the feedback date, rep team / region / manager, the reps a manager may see, message.
  The segment filter does not apply: feedback is not tied to a deal.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from analytics import themes
from analytics.db import sql
from analytics.filters import Filters
from analytics.precompute import stored

NEGATIVE_RATING = 2.0
NEUTRAL_RATING = 3.0
MIN_RATINGS = 10
CONFIDENCE = 0.95
ENTRY_PARAMS = ("start", "end", "messages", "teams", "regions", "managers", "rep_ids")
RECEPTION_COLUMNS = ["message_id", "message_name", "launch_date", "n_feedback", "n_rated", "n_reps", "mean_rating",
                     "ci_low", "ci_high", "n_negative", "share_negative"]


def entries(con, filters: Filters = Filters()) -> pd.DataFrame:
    """Feedback entries (fct_feedback_entries) dated in the filters' range, for the reps and messages they keep."""
    params = filters.params()
    return con.execute(sql("marts/fct_feedback_entries.sql"), {k: params[k] for k in ENTRY_PARAMS}).df()


def mean_interval(values, confidence: float = CONFIDENCE) -> tuple[float, float, float]:
    """Mean of the non-missing values and its Student t-interval; NaN bounds below two values."""
    x = pd.to_numeric(pd.Series(values, dtype="float64"), errors="coerce").dropna().to_numpy(dtype=float)
    n = len(x)
    if n == 0:
        return float("nan"), float("nan"), float("nan")
    mean = float(x.mean())
    if n < 2:
        return mean, float("nan"), float("nan")
    half = float(stats.t.ppf(0.5 + confidence / 2, n - 1) * x.std(ddof=1) / np.sqrt(n))
    return mean, mean - half, mean + half


def is_negative(ratings) -> pd.Series:
    """Rating at most NEGATIVE_RATING (NA where unrated)."""
    r = pd.to_numeric(pd.Series(ratings), errors="coerce").astype("Float64")
    return r <= NEGATIVE_RATING


def reception_from_entries(rows: pd.DataFrame, messages: pd.DataFrame) -> pd.DataFrame:
    """Per message of `messages` (in their order): entries, ratings, mean with interval, negative share."""
    out = []
    for m in messages.itertuples():
        g = rows[rows["message_id"] == m.message_id]
        ratings = pd.to_numeric(g["rating"], errors="coerce")
        mean, low, high = mean_interval(ratings)
        rated = int(ratings.notna().sum())
        negative = int(is_negative(ratings).fillna(False).sum())
        out.append({"message_id": m.message_id, "message_name": m.message_name, "launch_date": m.launch_date,
                    "n_feedback": len(g), "n_rated": rated, "n_reps": int(g["rep_id"].nunique()),
                    "mean_rating": mean, "ci_low": low, "ci_high": high, "n_negative": negative,
                    "share_negative": negative / rated if rated else float("nan")})
    return pd.DataFrame(out, columns=RECEPTION_COLUMNS)


def reception(con, filters: Filters = Filters()) -> pd.DataFrame:
    """Per message: feedback volume, mean rating with 95 % interval and share of negative ratings."""
    return reception_from_entries(entries(con, filters), _messages(con, filters))


def weakest_received(reception_frame: pd.DataFrame, min_ratings: int = MIN_RATINGS) -> dict | None:
    """The message with the lowest mean rating among those with at least `min_ratings` ratings (None if none)."""
    enough = reception_frame[(reception_frame["n_rated"] >= min_ratings) & reception_frame["mean_rating"].notna()]
    if enough.empty:
        return None
    return enough.sort_values(["mean_rating", "ci_high", "message_id"]).iloc[0].to_dict()


def rating_trend(con, filters: Filters = Filters(), freq: str = "month") -> pd.DataFrame:
    """Per message and period (week, month or quarter): entries, ratings, mean with interval, negative share."""
    codes = {"week": "W-MON", "month": "M", "quarter": "Q"}
    if freq not in codes:
        raise ValueError(f"freq must be one of {sorted(codes)}, not {freq!r}")
    rows = entries(con, filters)
    rows = rows[rows["message_id"].notna() & rows["feedback_date"].notna()].copy()
    columns = ["message_id", "message_name", "period", "n_feedback", "n_rated", "mean_rating", "ci_low", "ci_high",
               "share_negative"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rows["period"] = pd.to_datetime(rows["feedback_date"]).dt.to_period(codes[freq]).dt.start_time
    out = []
    for (message_id, name, period), g in rows.groupby(["message_id", "message_name", "period"], sort=True):
        ratings = pd.to_numeric(g["rating"], errors="coerce")
        mean, low, high = mean_interval(ratings)
        rated = int(ratings.notna().sum())
        negative = int(is_negative(ratings).fillna(False).sum())
        out.append({"message_id": message_id, "message_name": name, "period": period, "n_feedback": len(g),
                    "n_rated": rated, "mean_rating": mean, "ci_low": low, "ci_high": high,
                    "share_negative": negative / rated if rated else float("nan")})
    return _in_launch_order(con, pd.DataFrame(out, columns=columns), ["period"])


def outcome_mix(con, filters: Filters = Filters()) -> pd.DataFrame:
    """Per message and reported outcome: entries and their share of the message's entries."""
    rows = entries(con, filters)
    rows = rows[rows["message_id"].notna()].copy()
    rows["outcome"] = rows["outcome"].fillna("(none)")
    out = rows.groupby(["message_id", "message_name", "outcome"], as_index=False).agg(n_feedback=("feedback_id", "size"))
    out["share"] = out["n_feedback"] / out.groupby("message_id")["n_feedback"].transform("sum")
    return _in_launch_order(con, out, ["n_feedback"], ascending=False)


@stored()
def note_themes(con, filters: Filters = Filters(), message_id: str | None = None, quotes: int = 2) -> pd.DataFrame:
    """Themes of the free-text notes per message (analytics.themes: TF-IDF + NMF), with representative quotes."""
    out = themes.themes_from_notes(entries(con, filters), message_id, quotes=quotes)
    names = _messages(con, Filters()).set_index("message_id")["message_name"]
    out.insert(1, "message_name", out["message_id"].map(names))
    return out


@stored()
def distinguishing_terms(con, filters: Filters, message_id: str, n: int = 10) -> pd.DataFrame:
    """Terms a message's notes use far more often than the other messages' notes (analytics.themes)."""
    return themes.distinctive_from_notes(entries(con, filters), message_id, n)


def distinguishing_terms_by_message(con, filters: Filters, n: int = 10) -> dict[str, pd.DataFrame]:
    """distinguishing_terms of every message with notes, counting the words once (for analytics.precompute)."""
    rows = entries(con, filters)
    return themes.distinctive_by_message(rows, messages_with_notes(con, filters, rows), n)


def messages_with_notes(con, filters: Filters, rows: pd.DataFrame | None = None) -> list[str]:
    """Messages with at least one note of text under the filters, in launch order."""
    rows = entries(con, filters) if rows is None else rows
    present = set(themes.notes_with_text(rows)["message_id"])
    return [m for m in _messages(con, filters)["message_id"] if m in present]


def _in_launch_order(con, frame: pd.DataFrame, then: list[str], ascending: bool = True) -> pd.DataFrame:
    """Rows ordered by their message's launch, then by `then`."""
    order = {m: i for i, m in enumerate(_messages(con, Filters())["message_id"])}
    out = frame.assign(_order=frame["message_id"].map(order))
    return out.sort_values(["_order"] + then, ascending=[True] + [ascending] * len(then), ignore_index=True) \
        .drop(columns="_order")


def _messages(con, filters: Filters) -> pd.DataFrame:
    out = con.execute(sql("marts/dim_messages.sql")).df()
    if filters.messages:
        out = out[out["message_id"].isin(filters.messages)]
    return out.reset_index(drop=True)
