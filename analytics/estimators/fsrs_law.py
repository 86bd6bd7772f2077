"""FSRS-6's memory law (stability, difficulty, retrievability) run over many cards at once, with exact gradients.

The equations are those of the `fsrs` package's Scheduler (py-fsrs 6, MIT; tests check that both give the same
states): a card's first review sets its stability from the rating and its difficulty from the rating; a review on a
later day multiplies stability by a factor that grows with difficulty's room, shrinks with stability, and grows with
how much had been forgotten (a lapse instead starts a new, smaller stability); a same-day review applies the
short-term factor. Retrievability after t whole days is (1 + F t / S) ** -w20 with F = 0.9 ** (-1 / w20) - 1, so S is
the number of days until it falls to 90 %. A card here is a rep x message pair and its reviews are graded attempts.

Cards are packed by length so that step k works on a contiguous prefix of cards; the gradient is carried forward
(d state / d parameters, 21 columns), which costs one pass and keeps the fit a plain L-BFGS on 21 numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from fsrs.scheduler import DEFAULT_PARAMETERS as _DEFAULT
from fsrs.scheduler import LOWER_BOUNDS_PARAMETERS as _LOWER
from fsrs.scheduler import UPPER_BOUNDS_PARAMETERS as _UPPER

DEFAULT_PARAMETERS = np.array(_DEFAULT, dtype=float)
BOUNDS = list(zip(_LOWER, _UPPER))
N_PARAMETERS = len(DEFAULT_PARAMETERS)
AGAIN, HARD, GOOD, EASY = 1, 2, 3, 4
# Scores map to ratings: below the pass mark Again; within HARD_BAND above it Hard (barely passed); Good; and from
# EASY_FROM on Easy. A 4-level log (Again/Hard/Good/Easy) converted to scores 0, pass, 0.9, 1 maps back exactly.
HARD_BAND = 0.05
EASY_FROM = 0.95
STABILITY_MIN = 0.001
DAY_NS = 86_400 * 10**9
_LOG_09 = float(np.log(0.9))


def ratings_from_scores(scores, pass_mark: float) -> np.ndarray:
    """FSRS ratings (1-4) of quiz scores by the documented rule (HARD_BAND, EASY_FROM)."""
    s = np.asarray(scores, dtype=float)
    return np.select([s < pass_mark, s < pass_mark + HARD_BAND - 1e-12, s < EASY_FROM - 1e-12],
                     [AGAIN, HARD, GOOD], EASY).astype(np.int64)


@dataclass
class Sequences:
    """Reviews grouped by card and packed by length: step k of cards 0..counts[k]-1 is row steps[k] of the input."""

    steps: list[np.ndarray]       # per step, the input rows of that step's active cards (cards longest first)
    card_of_row: np.ndarray       # per input row, the card's packed position
    n_cards: int
    rating: np.ndarray            # per input row
    elapsed: np.ndarray           # per input row, whole days since the card's previous review (-1: first review)


def pack(card_codes: np.ndarray, times_ns: np.ndarray, rating: np.ndarray) -> Sequences:
    """Group rows by card in time order (input rows must already be in time order within each card)."""
    card_codes = np.asarray(card_codes, dtype=np.int64)
    n = len(card_codes)
    order = np.lexsort((np.arange(n), card_codes))                  # card-major, then input order
    sorted_cards = card_codes[order]
    start = np.r_[True, sorted_cards[1:] != sorted_cards[:-1]] if n else np.zeros(0, dtype=bool)
    group = np.cumsum(start) - 1
    first = np.flatnonzero(start)
    position = np.arange(n) - first[group] if n else np.zeros(0, dtype=np.int64)
    lengths = np.diff(np.r_[first, n]) if n else np.zeros(0, dtype=np.int64)
    rank = np.empty(len(lengths), dtype=np.int64)
    rank[np.argsort(-lengths, kind="stable")] = np.arange(len(lengths))
    packed = rank[group]
    times = np.asarray(times_ns, dtype=np.int64)[order]
    elapsed_sorted = np.where(position > 0, (times - np.r_[times[:1], times[:-1]]) // DAY_NS, -1)
    elapsed = np.empty(n, dtype=np.int64)
    elapsed[order] = elapsed_sorted
    card_of_row = np.empty(n, dtype=np.int64)
    card_of_row[order] = packed
    steps = []
    key = position * max(len(lengths), 1) + packed
    by_step = order[np.argsort(key, kind="stable")]
    counts = np.bincount(position, minlength=int(lengths.max()) if n else 0) if n else np.zeros(0, dtype=np.int64)
    for k, c in enumerate(np.cumsum(counts)):
        steps.append(by_step[c - counts[k]:c])
    return Sequences(steps, card_of_row, len(lengths), np.asarray(rating, dtype=np.int64), elapsed)


def retrievability(elapsed_days, stability, w) -> np.ndarray:
    """FSRS-6's forgetting curve: recall probability after whole days `elapsed_days` at stability S."""
    d = w[20]
    factor = 0.9 ** (-1.0 / d) - 1.0
    return (1.0 + factor * np.maximum(np.asarray(elapsed_days, dtype=float), 0.0) / stability) ** -d


def days_to_retrievability(target, stability, w) -> np.ndarray:
    """Days after a review until retrievability falls to `target` (inverse of retrievability())."""
    d = w[20]
    factor = 0.9 ** (-1.0 / d) - 1.0
    return stability / factor * (np.asarray(target, dtype=float) ** (-1.0 / d) - 1.0)


def run(seqs: Sequences, w, labels=None, weights=None):
    """Walk every card through its reviews under parameters w.

    Returns (R, S, D, final) where R, S, D are per input row the retrievability predicted for that review and the
    stability and difficulty just before it (NaN on a card's first review), and `final` holds each card's (S, D)
    after its last review, in packed order. With labels, returns (loss, gradient) instead: the mean log loss over
    reviews a day or more after the previous one (same-day steps are left out, as in FSRS), weighted by `weights`.
    """
    w = np.asarray(w, dtype=float)
    grad = labels is not None
    n_rows = len(seqs.rating)
    R_out = np.full(n_rows, np.nan)
    S_out = np.full(n_rows, np.nan)
    D_out = np.full(n_rows, np.nan)
    S = np.zeros(seqs.n_cards)
    D = np.zeros(seqs.n_cards)
    dS = np.zeros((seqs.n_cards, N_PARAMETERS)) if grad else None
    dD = np.zeros((seqs.n_cards, N_PARAMETERS)) if grad else None
    loss, total_weight, g_total = 0.0, 0.0, np.zeros(N_PARAMETERS)
    if grad:
        y_all = np.asarray(labels, dtype=float)
        wt_all = np.ones(n_rows) if weights is None else np.asarray(weights, dtype=float)
        counted = seqs.elapsed >= 1
        total_weight = float(np.sum(wt_all[counted]))
    for k, rows in enumerate(seqs.steps):
        m = len(rows)
        r = seqs.rating[rows]
        if k == 0:
            S[:m], D[:m] = _initial(r, w, dS[:m] if grad else None, dD[:m] if grad else None)
            continue
        t = seqs.elapsed[rows].astype(float)
        s, dcur = S[:m], D[:m]
        R, dR = _retrievability(t, s, w, dS[:m] if grad else None)
        R_out[rows], S_out[rows], D_out[rows] = R, s, dcur
        if grad and total_weight > 0:
            on = t >= 1
            y, wt = y_all[rows], wt_all[rows] * on
            p = np.clip(R, 1e-6, 1 - 1e-6)
            loss -= float(np.sum(wt * (y * np.log(p) + (1 - y) * np.log(1 - p))))
            g = -wt * (y / p - (1 - y) / (1 - p)) * ((R > 1e-6) & (R < 1 - 1e-6))
            g_total += dR.T @ g
        S_new, dS_new = _next_stability(r, t, s, dcur, R, w, dS[:m] if grad else None, dD[:m] if grad else None,
                                        dR)
        D_new, dD_new = _next_difficulty(r, dcur, w, dD[:m] if grad else None)
        S[:m], D[:m] = S_new, D_new
        if grad:
            dS[:m], dD[:m] = dS_new, dD_new
    if grad:
        scale = max(total_weight, 1e-12)
        return loss / scale, g_total / scale
    return R_out, S_out, D_out, (S.copy(), D.copy())


def _initial(r, w, dS, dD):
    S = np.maximum(w[r - 1], STABILITY_MIN)
    e = np.exp(w[5] * (r - 1))
    D0 = w[4] - e + 1.0
    D = np.clip(D0, 1.0, 10.0)
    if dS is not None:
        dS[:] = 0.0
        dS[np.arange(len(r)), r - 1] = 1.0
        dD[:] = 0.0
        inside = (D0 > 1.0) & (D0 < 10.0)
        dD[:, 4] = inside
        dD[:, 5] = -(r - 1) * e * inside
    return S, D


def _retrievability(t, S, w, dS):
    d = w[20]
    F = 0.9 ** (-1.0 / d) - 1.0
    u = 1.0 + F * t / S
    R = u ** -d
    if dS is None:
        return R, None
    dR_dS = R * d * F * t / (S * S * u)
    dF_dd = (F + 1.0) * _LOG_09 / (d * d)
    dR_dd = R * (-np.log(u) - d * (t / S) * dF_dd / u)
    dR = dR_dS[:, None] * dS
    dR[:, 20] += dR_dd
    return R, dR


def _next_stability(r, t, S, D, R, w, dS, dD, dR):
    """Stability after a review of rating r, t whole days after the last one (same-day: short-term factor)."""
    grad = dS is not None
    n = len(r)
    out = np.empty(n)
    d_out = np.zeros((n, N_PARAMETERS)) if grad else None
    same_day = t < 1
    recall = ~same_day & (r > AGAIN)
    forget = ~same_day & (r == AGAIN)

    i = np.flatnonzero(same_day)
    if len(i):
        s, ri = S[i], r[i]
        inc = np.exp(w[17] * (ri - 3 + w[18])) * s ** -w[19]
        floor_at_one = (ri > AGAIN) & (inc < 1.0)
        inc = np.where(floor_at_one, 1.0, inc)
        out[i] = s * inc
        if grad:
            dinc = np.zeros((len(i), N_PARAMETERS))
            dinc[:, 17] = ri - 3 + w[18]
            dinc[:, 18] = w[17]
            dinc[:, 19] = -np.log(s)
            dinc = inc[:, None] * (dinc - (w[19] / s)[:, None] * dS[i])
            dinc[floor_at_one] = 0.0
            d_out[i] = inc[:, None] * dS[i] + s[:, None] * dinc

    i = np.flatnonzero(recall)
    if len(i):
        s, dd, ri, Ri = S[i], D[i], r[i], R[i]
        hard = np.where(ri == HARD, w[15], 1.0)
        easy = np.where(ri == EASY, w[16], 1.0)
        base = np.exp(w[8]) * (11.0 - dd) * s ** -w[9]
        C = base * hard * easy
        E = np.exp((1.0 - Ri) * w[10])
        B = E - 1.0
        A = C * B
        out[i] = s * (1.0 + A)
        if grad:
            dC = -(1.0 / (11.0 - dd))[:, None] * dD[i] - (w[9] / s)[:, None] * dS[i]
            dC[:, 8] += 1.0
            dC[:, 9] -= np.log(s)
            dC *= C[:, None]
            # d C / d w15 and w16 written without dividing by them: w15 may reach its lower bound 0
            dC[:, 15] += np.where(ri == HARD, base * easy, 0.0)
            dC[:, 16] += np.where(ri == EASY, base * hard, 0.0)
            dB = -(E * w[10])[:, None] * dR[i]
            dB[:, 10] += E * (1.0 - Ri)
            dA = dC * B[:, None] + C[:, None] * dB
            d_out[i] = (1.0 + A)[:, None] * dS[i] + s[:, None] * dA

    i = np.flatnonzero(forget)
    if len(i):
        s, dd, Ri = S[i], D[i], R[i]
        P13 = (s + 1.0) ** w[13]
        E = np.exp((1.0 - Ri) * w[14])
        G = w[11] * dd ** -w[12] * E
        long_term = G * (P13 - 1.0)
        cut = np.exp(w[17] * w[18])
        short_term = s / cut
        use_long = long_term <= short_term
        out[i] = np.where(use_long, long_term, short_term)
        if grad:
            dG = -(w[12] / dd)[:, None] * dD[i] - w[14] * dR[i]
            dG[:, 11] += 1.0 / w[11]
            dG[:, 12] -= np.log(dd)
            dG[:, 14] += 1.0 - Ri
            dP = (P13 * w[13] / (s + 1.0))[:, None] * dS[i]
            dP[:, 13] += P13 * np.log(s + 1.0)
            d_long = (G * (P13 - 1.0))[:, None] * dG + G[:, None] * dP
            d_short = dS[i] / cut
            d_short[:, 17] -= short_term * w[18]
            d_short[:, 18] -= short_term * w[17]
            d_out[i] = np.where(use_long[:, None], d_long, d_short)

    clamped = out < STABILITY_MIN
    out = np.maximum(out, STABILITY_MIN)
    if grad:
        d_out[clamped] = 0.0
    return out, d_out


def _next_difficulty(r, D, w, dD):
    """Difficulty after a review: linear damping of the rating's step, then mean reversion towards D0(Easy)."""
    step = -w[6] * (r - 3)
    damped = D + (10.0 - D) * step / 9.0
    e3 = np.exp(3.0 * w[5])
    target = w[4] - e3 + 1.0
    raw = w[7] * target + (1.0 - w[7]) * damped
    out = np.clip(raw, 1.0, 10.0)
    if dD is None:
        return out, None
    d_damped = (1.0 - step / 9.0)[:, None] * dD
    d_damped[:, 6] += (10.0 - D) * (-(r - 3)) / 9.0
    d_raw = (1.0 - w[7]) * d_damped
    d_raw[:, 7] += target - damped
    d_raw[:, 4] += w[7]
    d_raw[:, 5] -= w[7] * 3.0 * e3
    d_raw[(raw <= 1.0) | (raw >= 10.0)] = 0.0
    return out, d_raw


def review(S, D, rating, elapsed_days, w) -> tuple[np.ndarray, np.ndarray]:
    """State after one review per card (S NaN: the card's first review), as the Scheduler's review_card."""
    S, D = np.asarray(S, dtype=float), np.asarray(D, dtype=float)
    r = np.asarray(rating, dtype=np.int64)
    t = np.asarray(elapsed_days, dtype=float)
    w = np.asarray(w, dtype=float)
    new = np.isnan(S)
    S0, D0 = _initial(np.where(new, r, GOOD), w, None, None)
    s = np.where(new, 1.0, S)
    d = np.where(new, 5.0, D)
    R = retrievability(t, s, w)
    S1, _ = _next_stability(r, t, s, d, R, w, None, None, None)
    D1, _ = _next_difficulty(r, d, w, None)
    return np.where(new, S0, S1), np.where(new, D0, D1)
