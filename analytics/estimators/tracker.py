"""Message trackers: which conversation turns say a catalog message, by key phrase or by similarity to its text.

Each turn is cut into sentence windows (a long unpunctuated sentence into WINDOW_WORDS-word pieces). Text is
folded once, in bulk (Arrow kernels, no Python loop over rows): lower case, accents stripped, "SOC2" read as
"SOC 2", plurals reduced to their singular, punctuation dropped (a comma still breaks a phrase).
- A key phrase matches a window holding its words in order, with at most `max_gap` other words inserted.
- Similarity: a window (or two consecutive sentences of one turn) sharing at least `min_shared_terms` content words
  with a message is scored by cosine against the message's profile (name, description and key phrases), with
  scikit-learn TF-IDF on word 1-2-grams and on char_wb 3-5-grams, averaged. The window's norm counts its words that
  no message uses (at the weight of an unseen term), so a long sentence sharing one word scores low.
- The threshold on that score is calibrated on the labelled fixture's calibration split (best F1 on "the rep used
  the message") and evaluated on its held-out split (evaluate_fixture), never on the snippets it was chosen on.
One row per (activity, message) is kept: the best match above the threshold, a rep's turn before an unattributed
one before the prospect's, then the highest score (a key phrase scores 1), then the earliest turn.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "tracker_fixture.csv"                  # labelled call snippets: snippet, speaker_role, message, ...
FIXTURE_CATALOG = HERE / "tracker_fixture_catalog.csv"  # the messages they are scored against, with key phrases

# Raised whenever the matching method changes: every activity is then scored again.
METHOD_VERSION = "1"
# Cosine above which a window says the message, calibrated on the fixture's calibration split (calibrate()); a test
# checks that calibration still yields this value.
SIMILARITY_THRESHOLD = 0.16
WINDOW_WORDS = 30          # a sentence longer than this (a transcript without punctuation) is cut into such pieces
SNIPPET_CHARS = 200
ROLE_RANK = {"rep": 0, "unknown": 1, "prospect": 2}
# A window that attributes the words to someone else (a competitor's claim) is no match: reporting verbs, another
# vendor, or a company's possessive ("Gong's ROI calculator"; contractions such as "let's" are not possessives).
ATTRIBUTION = (r"(?i)\b(?:competitors?|competition|other vendors?|vendor [a-z]|(?:will|they(?:ll)?) (?:tell you|say)"
               r"|told you|telling (?:people|everyone)|claim(?:s|ed|ing)?|pitch(?:ed|es|ing)|promised)\b")
CONTRACTIONS = r"\b(?i:let|it|that|what|there|here|he|she|who|where|how|one|everyone|nobody|today)['’]s\b"
POSSESSIVE = r"\b[A-Z][A-Za-z]+['’]s\b"
MATCH_COLUMNS = ["activity_id", "message_id", "turn_no", "speaker", "speaker_role", "score", "method", "snippet"]

# Function words, and the words a catalog uses to describe how to deliver a message rather than what it says.
STOP_WORDS = frozenset("""
a about above after again against all also am an and any are as at be because been before being below between both
but by can could did do does doing down during each few for from further get got had has have having he her here hers
herself him himself his how i if in into is it itself just let like me more most my myself no nor not now of off on
once only or other our ours ourselves out over own re s same she should so some such than that the their theirs them
themselves then there these they this those through to too under until up very was we were what when where
which while who whom why will with would you your yours yourself yourselves ll ve d m t don dont im youre thats
yeah okay ok um uh oh well really actually right sure maybe
story talk track positioning position prop proposition value pitch messaging message narrative buyer lead walk
""".split())


def fold(texts) -> pa.Array:
    """Text folded for matching, one string per input: lower case, no accents, plurals singular, words spaced."""
    a = pa.array(texts, type=pa.string()) if not isinstance(texts, (pa.Array, pa.ChunkedArray)) else texts
    a = pc.fill_null(pc.utf8_lower(a), "")
    if not pc.all(pc.string_is_ascii(a)).as_py():
        a = pc.replace_substring_regex(pc.utf8_normalize(a, "NFKD"), r"\p{Mn}+", "")
    a = pc.replace_substring_regex(a, r"['’]s\b", "")
    a = pc.replace_substring_regex(a, r"['’]", "")
    a = pc.replace_substring_regex(a, r"([a-z])([0-9])", r"\1 \2")
    a = pc.replace_substring_regex(a, r"([0-9])([a-z])", r"\1 \2")
    a = pc.replace_substring_regex(a, r"[,;:()\[\]]+", " , ")
    a = pc.replace_substring_regex(a, r"[^a-z0-9,]+", " ")
    a = pc.replace_substring_regex(a, r"\b([a-z]{2,})ies\b", r"\1y")
    a = pc.replace_substring_regex(a, r"\b([a-z]{3,}[a-rt-z])s\b", r"\1")
    return pc.utf8_trim_whitespace(a)


def attributed(windows: pa.Array) -> np.ndarray:
    """Whether each window attributes what it says to someone else (see ATTRIBUTION)."""
    verbs = pc.match_substring_regex(windows, ATTRIBUTION)
    owners = pc.match_substring_regex(pc.replace_substring_regex(windows, CONTRACTIONS, "x"), POSSESSIVE)
    return pc.fill_null(pc.or_(verbs, owners), False).to_numpy(zero_copy_only=False)


def content_text(folded: pa.Array) -> pa.Array:
    """Folded text without commas and stop words (what the TF-IDF vectorizers read)."""
    words = "|".join(sorted(STOP_WORDS, key=len, reverse=True))
    a = pc.replace_substring_regex(folded, rf"\b(?:{words})\b|,", " ")
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(a, r"\s+", " "))


def split_phrases(text) -> list[str]:
    """A catalog's ';'-separated key phrases as a list (blank ones dropped)."""
    if not isinstance(text, str):
        return []
    return [p.strip() for p in text.split(";") if p.strip()]


def sentences(texts: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """Every turn cut into sentence windows: (window texts, index of the turn each came from)."""
    texts = pc.fill_null(texts, "")
    parts = pc.split_pattern_regex(texts, r"[.!?]+[\"')\]]*\s+|\s*\n+\s*")
    first = pc.list_flatten(parts)
    turn_of_first = pc.list_parent_indices(parts).to_numpy()
    pieces = pc.split_pattern(pc.replace_substring_regex(first, rf"((?:\S+\s+){{{WINDOW_WORDS}}})", "\\1\n"), "\n")
    windows = pc.utf8_trim_whitespace(pc.list_flatten(pieces))
    turn = turn_of_first[pc.list_parent_indices(pieces).to_numpy()]
    return windows, turn


def _char_wb_count(lengths: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """How many char_wb n-grams (lo..hi) scikit-learn makes of words of these lengths (padded by a space each side)."""
    padded = lengths + 2
    total = np.zeros(len(lengths), dtype=np.int64)
    alive = np.ones(len(lengths), dtype=bool)
    for n in range(lo, hi + 1):
        long = alive & (padded > n)
        total += np.where(long, padded - n + 1, 0)
        short = alive & ~long
        total += short          # the whole padded word once, then no longer n-grams of it
        alive &= long
    return total


def wilson_interval(k, n, z: float = 1.96) -> tuple[np.ndarray, np.ndarray]:
    """95 % Wilson score interval of k successes in n trials, elementwise; NaN where n is 0."""
    k, n = np.asarray(k, dtype=float), np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return np.where(n > 0, centre - half, np.nan), np.where(n > 0, centre + half, np.nan)


class MessageTracker:
    """Scores conversation turns against each catalog message: key phrases, then TF-IDF similarity to its text."""

    name = "message_tracker"

    def __init__(self, threshold: float = SIMILARITY_THRESHOLD, word_ngrams: tuple[int, int] = (1, 2),
                 char_ngrams: tuple[int, int] = (3, 5), char_weight: float = 0.5, min_shared_terms: int = 2,
                 max_gap: int = 1, chunk_size: int = 20_000):
        self.threshold = threshold
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.char_weight = char_weight
        self.min_shared_terms = min_shared_terms
        self.max_gap = max_gap
        self.chunk_size = chunk_size

    def get_params(self) -> dict:
        """The parameters, as scikit-learn estimators report them."""
        return {k: getattr(self, k) for k in ("threshold", "word_ngrams", "char_ngrams", "char_weight",
                                                "min_shared_terms", "max_gap", "chunk_size")}

    # --- fit -------------------------------------------------------------------------------------------------
    def fit(self, messages: pd.DataFrame) -> "MessageTracker":
        """Learn each message's phrases, profile vectors and content words from message_id, message_name,
        description and key_phrases."""
        m = messages.reset_index(drop=True)
        self.message_ids_ = m["message_id"].astype(str).tolist()
        names = m["message_name"].fillna("").astype(str)
        desc = m["description"].fillna("").astype(str) if "description" in m else pd.Series([""] * len(m))
        raw_phrases = m["key_phrases"] if "key_phrases" in m else pd.Series([None] * len(m))
        self.catalog_ = [{"message_id": i, "message_name": n, "description": d, "key_phrases": split_phrases(p)}
                         for i, n, d, p in zip(self.message_ids_, names, desc, raw_phrases)]
        profiles = [". ".join([c["message_name"], c["description"], *c["key_phrases"]]) for c in self.catalog_]
        folded_profiles = content_text(fold(profiles))

        # Key phrases as sequences of folded words; the vocabulary holds their words and the profiles' content words.
        rows = [(j, p) for j, c in enumerate(self.catalog_) for p in c["key_phrases"]]
        folded = fold([p for _, p in rows]).to_pylist()
        phrase_words = [f.replace(",", " ").split() for f in folded]
        keep = [k for k, w in enumerate(phrase_words) if w]
        content_words = [set(t.split()) for t in folded_profiles.to_pylist()]
        vocab = sorted(set().union(*content_words, *(phrase_words[k] for k in keep)) if self.catalog_ else set())
        self.vocabulary_ = {w: i for i, w in enumerate(vocab)}
        self.vocab_array_ = pa.array(vocab, type=pa.string())
        self.phrases_ = pd.DataFrame({"message_idx": [rows[k][0] for k in keep], "phrase": [rows[k][1] for k in keep],
                                      "terms": [[self.vocabulary_[w] for w in phrase_words[k]] for k in keep]})
        tm = [(self.vocabulary_[w], j) for j, ws in enumerate(content_words) for w in ws]
        self.term_message_ = sparse.csr_matrix(
            (np.ones(len(tm)), ([t for t, _ in tm], [j for _, j in tm])), shape=(len(vocab), len(self.catalog_)))

        common = dict(lowercase=False, norm=None, sublinear_tf=False, smooth_idf=True)
        self.word_vectorizer_ = TfidfVectorizer(analyzer="word", ngram_range=self.word_ngrams,
                                                token_pattern=r"(?u)\b\w+\b", **common)
        self.char_vectorizer_ = TfidfVectorizer(analyzer="char_wb", ngram_range=self.char_ngrams, **common)
        docs = folded_profiles.to_pylist()
        if not any(docs):
            docs = docs + ["placeholder"]     # a catalog of names without words: vectorizers need one term
        self.profile_word_ = _l2(self.word_vectorizer_.fit_transform(docs)[:len(self.catalog_)])
        self.profile_char_ = _l2(self.char_vectorizer_.fit_transform(docs)[:len(self.catalog_)])
        n_docs = len(docs)
        self.unseen_idf_ = math.log((1 + n_docs) / 1) + 1      # scikit-learn's smooth idf of a term in no document
        return self

    def version(self) -> str:
        """A short hash of the method, its parameters and the fitted catalog: a change means scoring again."""
        params = {k: v for k, v in self.get_params().items() if k != "chunk_size"}     # no effect on results
        payload = json.dumps({"method": METHOD_VERSION, "params": params, "catalog": self.catalog_}, sort_keys=True,
                             default=str)
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def tidy(self) -> pd.DataFrame:
        """One row per tracker: the message, its key phrases and how many content words its profile has."""
        return pd.DataFrame({"message_id": self.message_ids_,
                             "key_phrases": ["; ".join(c["key_phrases"]) for c in self.catalog_],
                             "n_content_words": np.asarray(self.term_message_.sum(axis=0)).ravel().astype(int)})

    # --- scoring ---------------------------------------------------------------------------------------------
    def score(self, turns: pd.DataFrame) -> pd.DataFrame:
        """Every phrase hit and scored similarity window, best per (activity, message, turn): MATCH_COLUMNS.

        `turns` has activity_id, turn_no, speaker, speaker_role, text (one row per speaker turn). No threshold.
        """
        out = [self._score_chunk(turns.iloc[i:i + self.chunk_size])
               for i in range(0, len(turns), self.chunk_size)] or [self._empty()]
        return pd.concat(out, ignore_index=True)

    def best_matches(self, turns: pd.DataFrame) -> pd.DataFrame:
        """One row per (activity, message) that matched at or above the threshold (MATCH_COLUMNS)."""
        return self.select(self.score(turns))

    def select(self, scored: pd.DataFrame) -> pd.DataFrame:
        """The best match per (activity, message) among scored windows at or above the threshold."""
        s = scored[(scored["method"] == "phrase") | (scored["score"] >= self.threshold)]
        rank = s["speaker_role"].map(ROLE_RANK).fillna(1)
        s = s.assign(_rank=rank).sort_values(["activity_id", "message_id", "_rank", "score", "turn_no"],
                                             ascending=[True, True, True, False, True], kind="stable")
        return s.drop_duplicates(["activity_id", "message_id"]).drop(columns="_rank")[MATCH_COLUMNS] \
            .reset_index(drop=True)

    def _empty(self) -> pd.DataFrame:
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "score" else "int64" if c == "turn_no"
                                          else "object") for c in MATCH_COLUMNS})

    def _score_chunk(self, turns: pd.DataFrame) -> pd.DataFrame:
        """Phrase hits and similarity scores of one chunk of turns (see score)."""
        if turns.empty or not self.catalog_:
            return self._empty()
        windows, w_turn = sentences(pa.array(turns["text"].astype(object).where(turns["text"].notna(), None),
                                             type=pa.string()))
        n_win = len(windows)
        folded = fold(windows)
        tokens = pc.split_pattern(folded, " ")
        tok = pc.list_flatten(tokens)
        tok_win = pc.list_parent_indices(tokens).to_numpy()
        ids = pc.fill_null(pc.index_in(tok, value_set=self.vocab_array_), -1).to_numpy()
        comma = pc.equal(tok, ",").to_numpy(zero_copy_only=False)
        # Positions: a comma or a new window leaves a gap no phrase spans.
        pos = np.cumsum(1 + 100 * comma.astype(np.int64)) + 100 * tok_win.astype(np.int64)
        known = ids >= 0

        parts = []
        hits = self._phrase_hits(ids[known], pos[known], tok_win[known])
        if len(hits):
            parts.append(pd.DataFrame({"window": hits[:, 0], "message_idx": hits[:, 1], "score": 1.0,
                                       "method": "phrase", "pair": False}))
        parts.append(self._similarity(windows, folded, w_turn, ids[known], tok_win[known], n_win))
        found = pd.concat(parts, ignore_index=True)
        if not found.empty:
            other = attributed(windows)
            w = found["window"].to_numpy().astype(np.int64)
            nxt = np.minimum(w + 1, n_win - 1)
            found = found[~(other[w] | (found["pair"].to_numpy().astype(bool) & other[nxt]))]
        if found.empty:
            return self._empty()
        # The snippet: the window's text (two consecutive sentences for a pair), trimmed.
        w = found["window"].to_numpy().astype(np.int64)
        pair = found["pair"].to_numpy().astype(bool)
        text = pc.take(windows, pa.array(w))
        if pair.any():
            text = pc.if_else(pa.array(pair), pc.binary_join_element_wise(
                text, pc.take(windows, pa.array(np.minimum(w + 1, n_win - 1))), " "), text)
        turn_idx = w_turn[w]
        t = turns.iloc[turn_idx]
        res = pd.DataFrame({
            "activity_id": t["activity_id"].to_numpy(), "message_id": np.asarray(self.message_ids_)[
                found["message_idx"].to_numpy()],
            "turn_no": t["turn_no"].to_numpy(), "speaker": t["speaker"].to_numpy(),
            "speaker_role": t["speaker_role"].to_numpy(), "score": found["score"].to_numpy(),
            "method": found["method"].to_numpy(), "snippet": trim(text).to_numpy(zero_copy_only=False)})
        # Best per (activity, message, turn): a phrase first, then the highest similarity.
        res = res.assign(_p=(res["method"] == "phrase")).sort_values(
            ["activity_id", "message_id", "turn_no", "_p", "score"], ascending=[True, True, True, False, False],
            kind="stable")
        return res.drop_duplicates(["activity_id", "message_id", "turn_no"]).drop(columns="_p") \
            .reset_index(drop=True)

    def _phrase_hits(self, ids: np.ndarray, pos: np.ndarray, win: np.ndarray) -> np.ndarray:
        """(window, message index) of every key phrase found in order, at most max_gap extra words inserted."""
        if self.phrases_.empty or not len(ids):
            return np.empty((0, 2), dtype=np.int64)
        order = np.lexsort((pos, ids))
        s_ids, s_pos, s_win = ids[order], pos[order], win[order]
        bounds = np.searchsorted(s_ids, np.arange(len(self.vocabulary_) + 1))
        found = []
        for midx, terms in zip(self.phrases_["message_idx"], self.phrases_["terms"]):
            lo, hi = bounds[terms[0]], bounds[terms[0] + 1]
            if lo == hi:
                continue
            starts, start_win = s_pos[lo:hi], s_win[lo:hi]
            ok = np.ones(len(starts), dtype=bool) if len(terms) == 1 else np.zeros(len(starts), dtype=bool)
            gaps = range(1, len(terms)) if self.max_gap and len(terms) > 1 else []
            for gap_at in [None, *gaps]:      # None: contiguous; k: one word inserted before the k-th word
                if len(terms) == 1:
                    break
                hit = np.ones(len(starts), dtype=bool)
                for k, t in enumerate(terms[1:], start=1):
                    want = starts + k + (1 if gap_at is not None and k >= gap_at else 0)
                    p = s_pos[bounds[t]:bounds[t + 1]]
                    j = np.searchsorted(p, want)
                    hit &= (j < len(p)) & (p[np.minimum(j, len(p) - 1)] == want) if len(p) else False
                ok |= hit
            found.extend((w, midx) for w in np.unique(start_win[ok]))
        return np.array(found, dtype=np.int64).reshape(-1, 2)

    def _similarity(self, windows, folded, w_turn, ids, win, n_win) -> pd.DataFrame:
        """Cosine scores of windows and sentence pairs sharing enough content words with a message."""
        cols = ["window", "message_idx", "score", "method", "pair"]
        content = np.isin(ids, np.flatnonzero(np.asarray(self.term_message_.sum(axis=1)).ravel() > 0))
        b = sparse.csr_matrix((np.ones(int(content.sum())), (win[content], ids[content])),
                              shape=(n_win, len(self.vocabulary_)))
        b.data[:] = 1.0
        b.sum_duplicates()
        b.data[:] = 1.0
        same_turn = np.zeros(n_win, dtype=float)
        same_turn[:-1] = w_turn[1:] == w_turn[:-1]
        shift = sparse.csr_matrix((same_turn[:-1], (np.arange(n_win - 1), np.arange(1, n_win))), shape=(n_win, n_win))
        nxt = shift @ b
        b2 = (b + nxt)
        b2.data[:] = 1.0
        single = (b @ self.term_message_).tocoo()
        double = (b2 @ self.term_message_).tocoo()
        cand = [(single.row[single.data >= self.min_shared_terms], single.col[single.data >= self.min_shared_terms],
                 False)]
        # a pair is worth scoring when it shares more words with the message than either sentence alone
        d_ok = double.data >= self.min_shared_terms
        dr, dc, dv = double.row[d_ok], double.col[d_ok], double.data[d_ok]
        s1 = np.asarray(b[dr].multiply(self.term_message_.T[dc]).sum(axis=1)).ravel() if len(dr) else np.array([])
        s2 = np.asarray(b[np.minimum(dr + 1, n_win - 1)].multiply(self.term_message_.T[dc]).sum(axis=1)).ravel() \
            if len(dr) else np.array([])
        better = dv > np.maximum(s1, s2)
        cand.append((dr[better], dc[better], True))
        frames = []
        for rows, msgs, is_pair in cand:
            if not len(rows):
                continue
            uniq, inv = np.unique(rows, return_inverse=True)
            txt = pc.take(folded, pa.array(uniq))
            if is_pair:
                txt = pc.binary_join_element_wise(txt, pc.take(folded, pa.array(np.minimum(uniq + 1, n_win - 1))),
                                                  " ")
            score = self._cosine(content_text(txt), inv, msgs)
            frames.append(pd.DataFrame({"window": rows, "message_idx": msgs, "score": score, "method": "similarity",
                                        "pair": is_pair}))
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)

    def _cosine(self, texts: pa.Array, inv: np.ndarray, msgs: np.ndarray) -> np.ndarray:
        """TF-IDF cosine of texts[inv[i]] with message msgs[i], word and char_wb averaged."""
        docs = texts.to_pylist()
        words = pc.split_pattern(texts, " ")
        lengths = pc.utf8_length(pc.list_flatten(words)).to_numpy()
        doc_of_word = pc.list_parent_indices(words).to_numpy()
        real = lengths > 0
        n_words_arr = np.bincount(doc_of_word[real], minlength=len(docs))
        n_char = np.bincount(doc_of_word[real], weights=_char_wb_count(lengths[real], *self.char_ngrams),
                             minlength=len(docs))
        lo, hi = self.word_ngrams
        n_word = sum(np.maximum(n_words_arr - n + 1, 0) for n in range(lo, hi + 1))
        scores = []
        for vec, prof, n_total in ((self.word_vectorizer_, self.profile_word_, n_word),
                                   (self.char_vectorizer_, self.profile_char_, n_char)):
            x = vec.transform(docs).tocsr()
            known = np.asarray((x.multiply(1.0 / np.maximum(vec.idf_, 1e-12)[None, :])).sum(axis=1)).ravel()
            sq = np.asarray(x.multiply(x).sum(axis=1)).ravel() + np.maximum(n_total - known, 0) * self.unseen_idf_ ** 2
            norm = np.sqrt(np.maximum(sq, 1e-12))
            dots = np.asarray(x[inv].multiply(prof[msgs]).sum(axis=1)).ravel()
            scores.append(dots / norm[inv])
        return (1 - self.char_weight) * scores[0] + self.char_weight * scores[1]


def _l2(x) -> sparse.csr_matrix:
    x = sparse.csr_matrix(x, dtype=np.float64)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    return sparse.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ x


def trim(texts: pa.Array) -> pa.Array:
    """Snippets of at most about SNIPPET_CHARS characters (spaces collapsed; a longer one cut, with an ellipsis)."""
    a = pc.utf8_trim_whitespace(pc.replace_substring_regex(texts, r"\s+", " "))
    long = pc.greater(pc.utf8_length(a), SNIPPET_CHARS)
    cut = pc.binary_join_element_wise(pc.utf8_rtrim_whitespace(pc.utf8_slice_codeunits(a, 0, SNIPPET_CHARS - 2)),
                                      "…", "")
    return pc.if_else(long, cut, a)


# --- the labelled fixture: calibration and evaluation ---------------------------------------------------------
def fixture() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(labelled snippets, their catalog) shipped beside this module; the catalog gets message ids from names."""
    snippets = pd.read_csv(FIXTURE, dtype={"label": int})
    catalog = pd.read_csv(FIXTURE_CATALOG)
    catalog["message_id"] = catalog["message_name"]
    return snippets, catalog


def fixture_scores(tracker: MessageTracker, snippets: pd.DataFrame) -> pd.DataFrame:
    """Each snippet (one turn of its own activity) with its best similarity score and phrase hit for its message."""
    key = pd.Index([str(i) for i in range(len(snippets))])
    turns = pd.DataFrame({"activity_id": key, "turn_no": 1, "speaker": None,
                          "speaker_role": snippets["speaker_role"].to_numpy(), "text": snippets["snippet"].to_numpy()})
    scored = tracker.score(turns)
    scored = scored[scored["message_id"].to_numpy() == snippets["message"].to_numpy()[
        scored["activity_id"].astype(int).to_numpy()]]
    phrase = scored[scored["method"] == "phrase"].groupby("activity_id").size()
    sim = scored[scored["method"] == "similarity"].groupby("activity_id")["score"].max()
    out = snippets.copy()
    out["phrase_hit"] = key.isin(phrase.index)
    out["similarity"] = sim.reindex(key).fillna(0.0).to_numpy()
    return out


def predicted_used(scores: pd.DataFrame, threshold: float) -> np.ndarray:
    """Whether the tracker says the rep used the message: a match at the threshold, in a turn not the prospect's."""
    matched = scores["phrase_hit"].to_numpy() | (scores["similarity"].to_numpy() >= threshold)
    return matched & (scores["speaker_role"].to_numpy() != "prospect")


def calibrate(tracker: MessageTracker | None = None) -> float:
    """The similarity threshold with the best F1 on the fixture's calibration split (ties: the higher threshold)."""
    snippets, catalog = fixture()
    tracker = (tracker or MessageTracker()).fit(catalog)
    s = fixture_scores(tracker, snippets[snippets["split"] == "calibration"])
    y = s["label"].to_numpy() == 1
    best, best_t = -1.0, 1.0
    for t in np.round(np.arange(0.005, 0.60, 0.005), 3):
        p = predicted_used(s, t)
        tp, fp, fn = int((p & y).sum()), int((p & ~y).sum()), int((~p & y).sum())
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        if f1 >= best:
            best, best_t = f1, float(t)
    return best_t


def evaluate_fixture(split: str = "holdout", tracker: MessageTracker | None = None) -> pd.DataFrame:
    """Precision and recall per tracker (message) on one split of the fixture, with counts and Wilson intervals."""
    snippets, catalog = fixture()
    tracker = (tracker or MessageTracker()).fit(catalog)
    s = fixture_scores(tracker, snippets[snippets["split"] == split])
    s["predicted"] = predicted_used(s, tracker.threshold)
    y, p = s["label"] == 1, s["predicted"]
    g = pd.DataFrame({"message": s["message"], "tp": y & p, "fp": ~y & p, "fn": y & ~p, "tn": ~y & ~p})
    out = g.groupby("message", sort=True)[["tp", "fp", "fn", "tn"]].sum().astype(int).reset_index()
    out["n_snippets"] = out[["tp", "fp", "fn", "tn"]].sum(axis=1)
    out["precision"] = out["tp"] / (out["tp"] + out["fp"]).replace(0, np.nan)
    out["recall"] = out["tp"] / (out["tp"] + out["fn"]).replace(0, np.nan)
    out["precision_low"], out["precision_high"] = wilson_interval(out["tp"], out["tp"] + out["fp"])
    out["recall_low"], out["recall_high"] = wilson_interval(out["tp"], out["tp"] + out["fn"])
    out["split"], out["threshold"] = split, tracker.threshold
    return out
