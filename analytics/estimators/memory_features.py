"""What the memory model knows before each attempt: FSRS-6 state of the pair, the pair's and the rep's past.

Every feature of an attempt comes from strictly earlier attempts: the pair's FSRS stability and difficulty after its
previous attempts, its previous score and lapses, and the rep's earlier pass rate over all messages (attempts at the
same moment do not see each other). Takes a frame of attempts and never a connection.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analytics.estimators import fsrs_law

ATTEMPT_COLUMNS = ("rep_id", "message_id", "attempted_at", "score")
# How many attempts at the organization's pass rate a rep's own record starts from (one lucky pass counts little).
SKILL_PRIOR_ATTEMPTS = 5.0


@dataclass
class Attempts:
    """Graded attempts in time order with integer codes, FSRS ratings and pass/fail labels."""

    frame: pd.DataFrame           # rep_id, message_id, attempted_at, score (cleaned, time order)
    times: np.ndarray             # int64 ns
    pair: np.ndarray              # pair code per row
    pair_keys: pd.DataFrame       # rep_id, message_id per pair code
    rating: np.ndarray
    is_pass: np.ndarray
    score: np.ndarray
    _cache: dict = field(default_factory=dict, repr=False)

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def seqs(self) -> fsrs_law.Sequences:
        """The attempts packed by pair for fsrs_law (computed once)."""
        if "seqs" not in self._cache:
            self._cache["seqs"] = fsrs_law.pack(self.pair, self.times, self.rating)
        return self._cache["seqs"]

    @property
    def elapsed(self) -> np.ndarray:
        """Whole days since the pair's previous attempt (-1 on its first)."""
        return self.seqs.elapsed


def prepare(history: pd.DataFrame, pass_mark: float) -> Attempts:
    """Clean attempts (known rep, message, time and score) in time order, ties kept in attempt_id or input order."""
    frame = pd.DataFrame({
        "rep_id": history["rep_id"].astype("string"),
        "message_id": history["message_id"].astype("string"),
        "attempted_at": _naive_times(history["attempted_at"]),
        "score": pd.to_numeric(history["score"], errors="coerce").astype(float),
        "tie": history["attempt_id"].astype(str) if "attempt_id" in history else np.arange(len(history)),
    })
    frame = frame.dropna(subset=list(ATTEMPT_COLUMNS))
    frame = frame.sort_values(["attempted_at", "tie"], kind="stable").drop(columns="tie").reset_index(drop=True)
    pair, keys = pd.MultiIndex.from_frame(frame[["rep_id", "message_id"]]).factorize()
    pair_keys = pd.DataFrame({"rep_id": pd.Series(keys.get_level_values(0), dtype="string"),
                              "message_id": pd.Series(keys.get_level_values(1), dtype="string")})
    score = np.clip(frame["score"].to_numpy(dtype=float), 0.0, 1.0)
    return Attempts(frame, frame["attempted_at"].to_numpy(dtype="datetime64[ns]").astype(np.int64),
                    np.asarray(pair, dtype=np.int64), pair_keys, fsrs_law.ratings_from_scores(score, pass_mark),
                    score >= pass_mark, score)


def _naive_times(values) -> pd.Series:
    """Timestamps without a time zone (UTC when the input has one)."""
    times = pd.to_datetime(values)
    return times.dt.tz_convert(None) if times.dt.tz is not None else times


def walk(a: Attempts, w) -> dict:
    """FSRS-6 state before each attempt and after each pair's last one, under parameters w (cached per w)."""
    key = ("walk", np.asarray(w, dtype=float).tobytes())
    if key in a._cache:
        return a._cache[key]
    seqs = a.seqs
    R, S, D, (S_end, D_end) = fsrs_law.run(seqs, w)
    first_row = np.full(seqs.n_cards, -1, dtype=np.int64)
    first_row[seqs.card_of_row[::-1]] = np.arange(len(a))[::-1]
    packed_of_pair = np.empty(seqs.n_cards, dtype=np.int64)
    packed_of_pair[a.pair[first_row]] = np.arange(seqs.n_cards)
    a._cache[key] = {"seqs": seqs, "R": R, "S": S, "D": D, "elapsed": seqs.elapsed,
                     "S_end": S_end[packed_of_pair], "D_end": D_end[packed_of_pair]}
    return a._cache[key]


def row_features(a: Attempts, pass_rate: float) -> pd.DataFrame:
    """Per attempt: the pair's earlier attempts, lapses and last score, and the rep's earlier pass rate."""
    f = pd.DataFrame({"pair": a.pair, "fail": ~a.is_pass, "score": a.score})
    g = f.groupby("pair", sort=False)
    n_prior = g.cumcount().to_numpy()
    n_prior_fail = (g["fail"].cumsum() - f["fail"]).to_numpy(dtype=float)
    last_score = g["score"].shift(1).to_numpy(dtype=float)
    n_rep, pass_rep = _rep_prior(a)
    return pd.DataFrame({
        "n_prior": n_prior,
        "n_prior_fail": n_prior_fail,
        "last_score": last_score,
        "rep_skill": _skill(pass_rep, n_rep, pass_rate),
        "rep_n_prior": n_rep,
        "rep_pass_prior": pass_rep,
    })


def row_states(a: Attempts, walked: dict) -> pd.DataFrame:
    """Each repeat attempt's pair state just before it, shaped like end_state() (for in-sample forecasts)."""
    rows = pd.Series(np.arange(len(a))).groupby(a.pair).shift(1).to_numpy()
    repeat = ~np.isnan(rows)
    previous = rows[repeat].astype(np.int64)
    feats = row_features(a, 0.5)
    return pd.DataFrame({
        "row": np.flatnonzero(repeat),
        "rep_id": a.frame["rep_id"].to_numpy()[repeat],
        "message_id": a.frame["message_id"].to_numpy()[repeat],
        "last_practiced_at": a.frame["attempted_at"].to_numpy()[previous],
        "n_attempts": feats["n_prior"].to_numpy()[repeat],
        "n_fail": feats["n_prior_fail"].to_numpy()[repeat],
        "last_score": a.score[previous],
        "stability": walked["S"][repeat],
        "difficulty": walked["D"][repeat],
        "rep_n_attempts": feats["rep_n_prior"].to_numpy()[repeat],
        "rep_n_pass": feats["rep_pass_prior"].to_numpy()[repeat],
    })


def end_state(a: Attempts, walked: dict | None) -> pd.DataFrame:
    """Each pair's state after its last attempt: what a forecast of its next attempt starts from (walked None:
    without FSRS stability and difficulty)."""
    n_pairs = len(a.pair_keys)
    last = np.zeros(n_pairs, dtype=np.int64)
    if len(a):
        _, first_in_reverse = np.unique(a.pair[::-1], return_index=True)
        last = len(a) - 1 - first_in_reverse
    rep_codes, rep_levels = pd.factorize(a.frame["rep_id"])
    rep_n = np.bincount(rep_codes, minlength=len(rep_levels)).astype(float)
    rep_pass = np.bincount(rep_codes, weights=a.is_pass, minlength=len(rep_levels))
    pair_rep = rep_codes[last] if len(a) else np.zeros(0, dtype=np.int64)
    keys = a.pair_keys
    return pd.DataFrame({
        "rep_id": keys["rep_id"].to_numpy(),
        "message_id": keys["message_id"].to_numpy(),
        "last_practiced_at": a.frame["attempted_at"].to_numpy()[last],
        "n_attempts": np.bincount(a.pair, minlength=n_pairs).astype(np.int64),
        "n_fail": np.bincount(a.pair, weights=~a.is_pass, minlength=n_pairs),
        "last_score": a.score[last],
        "stability": walked["S_end"] if walked is not None else np.nan,
        "difficulty": walked["D_end"] if walked is not None else np.nan,
        "rep_n_attempts": rep_n[pair_rep],
        "rep_n_pass": rep_pass[pair_rep],
    })


def state_skill(states: pd.DataFrame, pass_rate: float) -> np.ndarray:
    """The rep's shrunk pass rate over all messages, from the rep totals a state carries."""
    return _skill(states["rep_n_pass"].to_numpy(dtype=float), states["rep_n_attempts"].to_numpy(dtype=float),
                  pass_rate)


def _skill(n_pass, n, pass_rate: float) -> np.ndarray:
    return (n_pass + SKILL_PRIOR_ATTEMPTS * pass_rate) / (n + SKILL_PRIOR_ATTEMPTS) - pass_rate


def _rep_prior(a: Attempts) -> tuple[np.ndarray, np.ndarray]:
    """Per attempt, the rep's attempts and passes strictly earlier in time (same-moment attempts excluded)."""
    n = len(a)
    if n == 0:
        return np.zeros(0), np.zeros(0)
    rep = pd.factorize(a.frame["rep_id"])[0].astype(np.int64)
    order = np.lexsort((a.times, rep))
    r, t, p = rep[order], a.times[order], a.is_pass[order].astype(float)
    new_moment = np.r_[True, (r[1:] != r[:-1]) | (t[1:] != t[:-1])]
    new_rep = np.r_[True, r[1:] != r[:-1]]
    cum_n = np.arange(n, dtype=float)            # rows before this one in the sorted order
    cum_p = np.r_[0.0, np.cumsum(p)[:-1]]
    moment_start = np.maximum.accumulate(np.where(new_moment, np.arange(n), 0))
    rep_start = np.maximum.accumulate(np.where(new_rep, np.arange(n), 0))
    before_n = cum_n[moment_start] - cum_n[rep_start]
    before_p = cum_p[moment_start] - cum_p[rep_start]
    out_n, out_p = np.empty(n), np.empty(n)
    out_n[order], out_p[order] = before_n, before_p
    return out_n, out_p


def later_day_targets(frame: pd.DataFrame, cutoff) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Attempts before the cutoff, and per pair seen before it, its first attempt from the cutoff on when that is
    a whole day or more after the pair's last earlier attempt (same-day relearning steps are not forecasts).

    `frame` is in time order (prepare().frame); targets carry rep_id, message_id, attempted_at, score and
    last_practiced_at.
    """
    times = pd.to_datetime(frame["attempted_at"])
    cutoff = pd.Timestamp(cutoff)
    early, later = frame[times < cutoff], frame[times >= cutoff]
    first = later.drop_duplicates(["rep_id", "message_id"], keep="first")
    last = early.groupby(["rep_id", "message_id"], as_index=False)["attempted_at"].max() \
        .rename(columns={"attempted_at": "last_practiced_at"})
    targets = first[["rep_id", "message_id", "attempted_at", "score"]].merge(last, on=["rep_id", "message_id"])
    gap = (targets["attempted_at"] - targets["last_practiced_at"]).dt.total_seconds() // 86_400
    return early, targets[gap.to_numpy() >= 1].reset_index(drop=True)


def longest_gap_days(a: Attempts) -> float:
    """The longest whole-day gap between two consecutive attempts of a pair (0 without repeats)."""
    if len(a) == 0:
        return 0.0
    return float(max(a.elapsed.max(), 0))
