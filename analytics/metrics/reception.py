"""How the field receives each message: ratings with intervals, the negative share, outcome mix, the weakest message.

Definitions (the one place in the code; the Field feedback page shows them):
- Ratings are on a 1-5 scale; an entry is *negative* when its rating is at most NEGATIVE_RATING (2). Entries
  without a rating count in volumes and the outcome mix but not in ratings or the negative share.
- The interval on a mean rating is the 95 % Student t-interval (mean +- t * sd / sqrt(n)); none below 2 ratings.
- The *weakest-received* message has the lowest mean rating among messages with at least MIN_RATINGS ratings.
- Poor reception: the interval's upper bound lies below NEUTRAL_RATING (3).
Every function takes feedback entry rows (sql/queries/feedback_entries.sql columns), never a connection.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

NEGATIVE_RATING = 2.0
NEUTRAL_RATING = 3.0
MIN_RATINGS = 10
CONFIDENCE = 0.95
RECEPTION_COLUMNS = ["message_id", "message_name", "launch_date", "n_feedback", "n_rated", "n_reps", "mean_rating",
                     "ci_low", "ci_high", "n_negative", "share_negative"]
TREND_COLUMNS = ["message_id", "message_name", "period", "n_feedback", "n_rated", "mean_rating", "ci_low", "ci_high",
                 "share_negative"]
PERIOD_CODES = {"week": "W-MON", "month": "M", "quarter": "Q"}


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


def _ratings(g: pd.DataFrame) -> dict:
    """Entries, ratings, mean with interval and negative share of a group of entries."""
    ratings = pd.to_numeric(g["rating"], errors="coerce")
    mean, low, high = mean_interval(ratings)
    rated = int(ratings.notna().sum())
    negative = int(is_negative(ratings).fillna(False).sum())
    return {"n_feedback": len(g), "n_rated": rated, "mean_rating": mean, "ci_low": low, "ci_high": high,
            "n_negative": negative, "share_negative": negative / rated if rated else float("nan")}


def reception_from_entries(rows: pd.DataFrame, messages: pd.DataFrame) -> pd.DataFrame:
    """Per message of `messages` (in their order): entries, ratings, mean with interval, negative share."""
    out = []
    for m in messages.itertuples():
        g = rows[rows["message_id"] == m.message_id]
        out.append({"message_id": m.message_id, "message_name": m.message_name, "launch_date": m.launch_date,
                    "n_reps": int(g["rep_id"].nunique()), **_ratings(g)})
    return pd.DataFrame(out, columns=RECEPTION_COLUMNS)


def weakest_received(reception_frame: pd.DataFrame, min_ratings: int = MIN_RATINGS) -> dict | None:
    """The message with the lowest mean rating among those with at least `min_ratings` ratings (None if none)."""
    enough = reception_frame[(reception_frame["n_rated"] >= min_ratings) & reception_frame["mean_rating"].notna()]
    if enough.empty:
        return None
    return enough.sort_values(["mean_rating", "ci_high", "message_id"]).iloc[0].to_dict()


def trend_from_entries(rows: pd.DataFrame, freq: str = "month") -> pd.DataFrame:
    """Per message and period (week, month or quarter): entries, ratings, mean with interval, negative share."""
    if freq not in PERIOD_CODES:
        raise ValueError(f"freq must be one of {sorted(PERIOD_CODES)}, not {freq!r}")
    rows = rows[rows["message_id"].notna() & rows["feedback_date"].notna()].copy()
    if rows.empty:
        return pd.DataFrame(columns=TREND_COLUMNS)
    rows["period"] = pd.to_datetime(rows["feedback_date"]).dt.to_period(PERIOD_CODES[freq]).dt.start_time
    out = [{"message_id": message_id, "message_name": name, "period": period, **_ratings(g)}
           for (message_id, name, period), g in rows.groupby(["message_id", "message_name", "period"], sort=True)]
    return pd.DataFrame(out)[TREND_COLUMNS]


def outcome_mix_from_entries(rows: pd.DataFrame) -> pd.DataFrame:
    """Per message and reported outcome: entries and their share of the message's entries."""
    rows = rows[rows["message_id"].notna()].copy()
    rows["outcome"] = rows["outcome"].fillna("(none)")
    out = rows.groupby(["message_id", "message_name", "outcome"], as_index=False) \
        .agg(n_feedback=("feedback_id", "size"))
    out["share"] = out["n_feedback"] / out.groupby("message_id")["n_feedback"].transform("sum")
    return out


def counts_by_message(rows: pd.DataFrame) -> pd.DataFrame:
    """Feedback count and average rating (1-5) per message (the report's columns)."""
    rows = rows[rows["message_id"].notna()]
    return (rows.groupby("message_id", as_index=False)
            .agg(feedback_count=("feedback_id", "size"), avg_rating=("rating", "mean")))
