"""Feedback themes and distinctive terms: what the field says about each message, from free-text notes.

Notes are vectorised once with TF-IDF over all messages (shared vocabulary; terms every message hears weigh less),
then each message's notes are factorised with NMF into a few themes. A theme is named by its top terms and
illustrated by the notes that load most on it. Distinctive terms compare how many of a message's notes use a term
with how many of the other messages' notes do, which is what sets a poorly received message apart.
Everything is deterministic (fixed random_state, notes ordered by id). Frames of notes in, frames out.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
from sklearn.decomposition import NMF
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer, TfidfVectorizer

# Intensifiers and negations carry the complaint in feedback ("too long", "not clear"): keep them.
STOP_WORDS = sorted(ENGLISH_STOP_WORDS - {"too", "not", "no", "never", "nothing", "less", "more"})
TOKEN_PATTERN = r"(?u)\b[^\W\d_][\w'-]*[^\W_]\b"
MAX_THEMES = 5
MIN_THEME_NOTES = 2          # one note is a quote, not a theme
MAX_FEATURES = 5000
QUOTE_CHARS = 200
RANDOM_STATE = 0


def themes_from_notes(notes: pd.DataFrame, message_id: str | None = None, n_themes: int | None = None,
                      quotes: int = 2) -> pd.DataFrame:
    """Themes per message from a frame of (message_id, notes, rating) rows; see the module docstring."""
    cols = ["message_id", "theme", "label", "terms", "notes", "share", "avg_rating", "quotes"]
    notes = _clean(notes)
    if notes.empty:
        return pd.DataFrame(columns=cols)
    tfidf = _vectorizer(len(notes))
    try:
        matrix = tfidf.fit_transform(notes["text"])
    except ValueError:                 # no usable words at all
        return pd.DataFrame(columns=cols)
    terms = tfidf.get_feature_names_out()
    ids = [message_id] if message_id is not None else list(dict.fromkeys(notes["message_id"]))
    rows = []
    for mid in ids:
        mask = (notes["message_id"] == mid).to_numpy()
        if not mask.any():
            continue
        sub, docs = notes[mask], matrix[mask]
        k = n_themes or int(np.clip(round(np.sqrt(len(sub) / 4)), 1, MAX_THEMES))
        k = min(k, docs.shape[0], max(docs.getnnz(axis=0).astype(bool).sum(), 1))
        if docs.nnz == 0:
            continue
        nmf = NMF(n_components=k, init="nndsvda", random_state=RANDOM_STATE, max_iter=500)
        W = nmf.fit_transform(docs)
        H = nmf.components_
        hit = (docs > 0).astype(np.float64).tocsr()
        dominant, groups = _merge_shared_phrase(np.where(W.max(1) > 0, W.argmax(1), -1), hit)
        ratings = sub["rating"].to_numpy(dtype=float, na_value=np.nan)
        for j in np.unique(dominant[dominant >= 0]):
            members = dominant == j
            if members.sum() < MIN_THEME_NOTES:
                continue
            weight = W[:, groups[j]].sum(1)
            purity = weight / np.maximum(W.sum(1), 1e-12)
            order = np.argsort(-(purity * weight), kind="stable")
            rated = ratings[members][np.isfinite(ratings[members])]
            top = _top_terms(terms, _coverage_contrast(hit, members))
            rows.append({
                "message_id": mid, "theme": int(j), "label": " / ".join(top), "terms": top,
                "notes": int(members.sum()), "share": float(members.mean()),
                "avg_rating": float(rated.mean()) if len(rated) else np.nan,
                "quotes": _quotes(sub["text"].to_numpy()[order[members[order]]], quotes),
            })
    out = pd.DataFrame(rows, columns=cols)
    out = out.sort_values(["message_id", "notes", "theme"], ascending=[True, False, True], ignore_index=True)
    out["theme"] = out.groupby("message_id").cumcount()
    return out


def distinctive_terms(notes: pd.DataFrame, message_ids, n: int = 10, min_notes: int = 3) -> dict[str, pd.DataFrame]:
    """message_id -> terms its notes use far more often than the other messages' notes (ratio of note shares,
    smoothed by half a note), counting the notes' words once for all the messages asked for."""
    cols = ["term", "notes_here", "share_here", "share_elsewhere", "ratio"]
    notes = _clean(notes)
    out = {m: pd.DataFrame(columns=cols) for m in message_ids}
    masks = {m: (notes["message_id"] == m).to_numpy() for m in message_ids}
    wanted = [m for m, here in masks.items() if here.any() and not here.all()]   # else nothing to compare with
    if not wanted:
        return out
    counts = CountVectorizer(binary=True, stop_words=STOP_WORDS, token_pattern=TOKEN_PATTERN,
                             ngram_range=(1, 2), lowercase=True)
    try:
        matrix = counts.fit_transform(notes["text"])
    except ValueError:
        return out
    terms = counts.get_feature_names_out()
    for m in wanted:
        here = masks[m]
        n_here, n_else = here.sum(), (~here).sum()
        df_here = np.asarray(matrix[here].sum(0)).ravel()
        df_else = np.asarray(matrix[~here].sum(0)).ravel()
        share_here = (df_here + 0.5) / (n_here + 1)
        share_else = (df_else + 0.5) / (n_else + 1)
        frame = pd.DataFrame({"term": terms, "notes_here": df_here,
                              "share_here": df_here / n_here, "share_elsewhere": df_else / max(n_else, 1),
                              "ratio": share_here / share_else})
        frame = frame[frame["notes_here"] >= min(min_notes, n_here)]
        frame = frame[~_inside_same_count_bigram(frame)]
        out[m] = frame.sort_values(["ratio", "notes_here", "term"], ascending=[False, False, True]).head(n)[cols] \
            .reset_index(drop=True)
    return out


def _inside_same_count_bigram(terms: pd.DataFrame) -> np.ndarray:
    """Words that only ever occur inside one of the listed bigrams ("claims" within "pricing claims")."""
    counts = dict(zip(terms["term"], zip(terms["notes_here"], terms["share_elsewhere"])))
    covered = set()
    for term, count in counts.items():
        if " " in term:
            covered.update(w for w in term.split() if counts.get(w) == count)
    return terms["term"].isin(covered).to_numpy()


def _vectorizer(n_notes: int) -> TfidfVectorizer:
    """TF-IDF over words and word pairs; a handful of notes keeps every term (there is nothing to prune)."""
    small = n_notes < 20
    return TfidfVectorizer(stop_words=STOP_WORDS, token_pattern=TOKEN_PATTERN, ngram_range=(1, 2),
                           sublinear_tf=True, min_df=1 if small else 2, max_df=1.0 if small else 0.95,
                           max_features=MAX_FEATURES)


def notes_with_text(notes: pd.DataFrame) -> pd.DataFrame:
    """The notes themes are made of: with text (whitespace collapsed into `text`) and attached to a message."""
    return _clean(notes)


def _clean(notes: pd.DataFrame) -> pd.DataFrame:
    """Notes with text, one line of collapsed whitespace, attached to a message, ordered by id."""
    out = notes[notes["message_id"].notna() & notes["notes"].notna()]
    out = (out.sort_values("feedback_id", kind="stable") if "feedback_id" in out else out).copy()
    out["text"] = out["notes"].astype(str).map(lambda s: re.sub(r"\s+", " ", s).strip())
    return out[out["text"] != ""].reset_index(drop=True)


def _coverage(hit, members: np.ndarray) -> np.ndarray:
    """Share of the given notes using each term."""
    if not members.any():
        return np.zeros(hit.shape[1])
    return np.asarray(hit[members].sum(0)).ravel() / members.sum()


def _coverage_contrast(hit, members: np.ndarray) -> np.ndarray:
    """Share of the theme's notes using each term minus that of the message's other notes."""
    return _coverage(hit, members) - _coverage(hit, ~members)


def _merge_shared_phrase(dominant: np.ndarray, hit, shared: float = 0.8,
                         elsewhere: float = 0.2) -> tuple[np.ndarray, dict[int, list[int]]]:
    """Fold together themes whose notes nearly all use one term that the message's other notes rarely use."""
    dominant = dominant.copy()
    groups = {int(j): [int(j)] for j in np.unique(dominant) if j >= 0}
    while True:
        themes = [j for j in np.unique(dominant) if j >= 0]
        cover = {j: _coverage(hit, dominant == j) for j in themes}
        best = None
        for x, a in enumerate(themes):
            for b in themes[x + 1:]:
                rest = (dominant != a) & (dominant != b)
                common = np.minimum(cover[a], cover[b]) * (_coverage(hit, rest) <= elsewhere)
                score = common.max() if len(common) else 0.0
                if score >= shared and (best is None or score > best[0]):
                    best = (score, a, b)
        if best is None:
            break
        _, a, b = best
        dominant[dominant == b] = a
        groups[int(a)] += groups.pop(int(b))
    return dominant, groups


def _top_terms(terms: np.ndarray, weights: np.ndarray, n: int = 3) -> list[str]:
    """Top terms of a theme, a bigram replacing the words it contains ("too long" over "long")."""
    chosen: list[str] = []
    for idx in np.argsort(-weights, kind="stable")[:8 * n]:
        if weights[idx] <= 0:
            break
        term, words = terms[idx], set(terms[idx].split())
        if any(words <= set(c.split()) for c in chosen):
            continue
        chosen = [c for c in chosen if not set(c.split()) <= words] + [term]
        if len(chosen) == n:
            break
    return chosen


def _quotes(texts: np.ndarray, n: int) -> list[str]:
    out: list[str] = []
    for t in texts:
        q = t if len(t) <= QUOTE_CHARS else t[:QUOTE_CHARS - 1].rstrip() + "…"
        if q not in out:
            out.append(q)
        if len(out) == n:
            break
    return out
