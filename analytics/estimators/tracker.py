"""Message trackers: which conversation turns say a catalog message, by key phrase or by similarity to its text.

Each turn is cut into sentence windows (a long unpunctuated sentence into WINDOW_WORDS-word pieces) and words, in
bulk (numpy over the text's bytes and Arrow kernels, no Python loop over rows); each distinct word is folded once:
lower case, no accents or apostrophes, plurals singular; "SOC2" reads as "SOC 2".
- A key phrase matches a window holding its words in order, with at most `max_gap` other words inserted; no phrase
  spans a comma or a sentence end.
- Similarity: a window (or two consecutive sentences of one turn) sharing at least `min_shared_terms` content words
  (not stop words) with a message is scored by cosine against the message's profile (name, description and key
  phrases), with scikit-learn TF-IDF on word 1-2-grams and on char_wb 3-5-grams fitted on the catalog, averaged;
  the windows' rows are computed in bulk with the fitted vocabularies (a test checks them against `transform`). A
  window's norm counts its n-grams that no message uses (at an unseen term's weight), so a long sentence sharing
  one word scores low. Two or more capitalized words in a row ("Huddle Platform", "Security Suite") are a name,
  not content words: a product named in passing is no use of the message that shares one of its words.
- A window attributing the words to someone else (a competitor's claim) is no match, nor is the rep's (or an
  unattributed) question: it asks about the message rather than says it; the prospect's question is a mention.
- `min_shared_terms` and the threshold are calibrated on the labelled fixture's calibration split (the most recall
  at TARGET_PRECISION) and evaluated on its held-out split (evaluate_fixture), never on the snippets chosen on.
One row per (activity, message) is kept: the best match above the threshold, a rep's turn before an unattributed
one before the prospect's, then the highest score (a key phrase scores 1), then the earliest turn.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from scipy import sparse
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

from analytics.intervals import wilson_interval

from .phrases import split_phrases

HERE = Path(__file__).resolve().parent
FIXTURE = HERE / "tracker_fixture.csv"                  # labelled call snippets: snippet, speaker_role, message, ...
FIXTURE_CATALOG = HERE / "tracker_fixture_catalog.csv"  # the messages they are scored against, with key phrases

# Raised whenever the matching method changes: every activity is then scored again.
METHOD_VERSION = "2"
# How many content words a window must share with a message to be scored, and the cosine above which it says the
# message: both chosen together on the fixture's calibration split (calibrate(): the most recall at a precision of
# at least TARGET_PRECISION); a test checks that calibration still yields these values. The target is the 0.8 floor
# plus a margin: with some 40 matches on a half, precision's standard error is about 0.06, so a threshold that just
# reaches 0.8 on one half misses it on the other about half the time (0.8 chose 0.08: 0.78 on the held-out half),
# and most of a call is about no message, so a false match costs more than its share of the fixture shows.
TARGET_PRECISION = 0.9
MIN_SHARED_TERMS = 1
SIMILARITY_THRESHOLD = 0.13
WINDOW_WORDS = 30          # a sentence longer than this (a transcript without punctuation) is cut into such pieces
SNIPPET_CHARS = 200
ROLE_RANK = {"rep": 0, "unknown": 1, "prospect": 2}
# A window that attributes the words to someone else (a competitor's claim) is no match: reporting verbs, another
# vendor, a sentence opening with "Their", or a company's possessive ("Gong's ROI calculator"; contractions such as
# "let's" are not possessives).
ATTRIBUTION = (r"(?i)^their\b|\b(?:competitors?|competition|other vendors?|vendor [a-z]"
               r"|(?:will|they(?:ll)?) (?:tell you|say)|told you|telling (?:people|everyone)|claim(?:s|ed|ing)?"
               r"|pitch(?:ed|es|ing)|promised)\b")
CONTRACTIONS = r"\b(?i:let|it|that|what|there|here|he|she|who|where|how|one|everyone|nobody|today)['’]s\b"
POSSESSIVE = r"\b[A-Z][A-Za-z]+['’]s\b"
MATCH_COLUMNS = ["activity_id", "message_id", "turn_no", "speaker", "speaker_role", "score", "method", "snippet"]

# scikit-learn's English stop words, words of talk, and the words a catalog uses to describe how to deliver a
# message rather than what it says: none of them count as a shared content word.
STOP_WORDS = frozenset(ENGLISH_STOP_WORDS) | frozenset("""
s t d m ll ve re don dont doesn didn isn wasn aren won wouldn couldn shouldn im youre thats theyre weve youll ill
yeah yes okay ok um uh oh well really actually right sure maybe just like got get gonna wanna let lets thing things
story talk track positioning position prop proposition value pitch messaging message narrative buyer lead walk
""".split())



# Byte classes of the tokenizer: 1 word character (ASCII letter, apostrophe, any byte of a non-ASCII character),
# 2 digit, 3 clause break, 4 sentence end (when no word character follows), 5 line break, 0 anything else.
_CLASS = np.zeros(256, dtype=np.uint8)
_CLASS[[*range(ord("a"), ord("z") + 1), *range(ord("A"), ord("Z") + 1), ord("'"), *range(0x80, 0x100)]] = 1
_CLASS[ord("0"):ord("9") + 1] = 2
_CLASS[[ord(c) for c in ",;:()[]"]] = 3
_CLASS[[ord(c) for c in ".!?"]] = 4
_CLASS[[ord("\n"), ord("\r")]] = 5


class Tokens:
    """Turns cut into words and windows in bulk (numpy over the text's bytes, no loop over rows).

    A word is a run of letters (an apostrophe and accented letters included) or of digits ("SOC2" is "soc", "2");
    a window is a sentence (ended by . ! ? or a line break), cut every WINDOW_WORDS words. Words are folded once
    per distinct word: lower case, accents and apostrophes dropped, plurals singular.
    """

    def __init__(self, texts):
        arr = texts if isinstance(texts, (pa.Array, pa.ChunkedArray)) else pa.array(texts, type=pa.string())
        if isinstance(arr, pa.ChunkedArray):
            arr = arr.combine_chunks()
        arr = pc.fill_null(arr, "").cast(pa.large_string())
        offs = np.frombuffer(arr.buffers()[1], dtype=np.int64)[arr.offset:arr.offset + len(arr) + 1]
        data = arr.buffers()[2]
        data = np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(0, dtype=np.uint8)
        self.buf = data[offs[0]:offs[-1]]
        offs = offs - offs[0]
        n = len(self.buf)
        cls = _CLASS[self.buf]
        word = (cls == 1) | (cls == 2)
        edge = np.zeros(n + 1, dtype=bool)                 # a turn starts here
        edge[offs[:-1]] = True
        prev_diff = np.ones(n, dtype=bool)
        prev_diff[1:] = cls[1:] != cls[:-1]
        next_diff = np.ones(n, dtype=bool)
        next_diff[:-1] = cls[:-1] != cls[1:]
        starts = np.flatnonzero(word & (prev_diff | edge[:n]))
        ends = np.flatnonzero(word & (next_diff | edge[1:])) + 1
        next_word = np.zeros(n, dtype=bool)
        next_word[:-1] = word[1:]
        brk = (cls == 5) | ((cls == 4) & ~next_word)
        sent = np.searchsorted(np.flatnonzero(brk), starts)          # sentence ends before each word
        clause = np.searchsorted(np.flatnonzero(cls == 3), starts)    # clause breaks before each word
        turn = np.searchsorted(offs, starts, side="right") - 1
        new_sent = np.ones(len(starts), dtype=bool)
        new_sent[1:] = (turn[1:] != turn[:-1]) | (sent[1:] != sent[:-1])
        sent_id = np.cumsum(new_sent) - 1
        first_of_sent = np.flatnonzero(new_sent)
        rank = np.arange(len(starts)) - first_of_sent[sent_id]
        new_win = new_sent | ((rank % WINDOW_WORDS) == 0)
        self.win = np.cumsum(new_win) - 1                  # window of each word
        firsts = np.flatnonzero(new_win)
        lasts = np.append(firsts[1:] - 1, len(starts) - 1) if len(firsts) else firsts
        self.n_windows = len(firsts)
        self.win_turn = turn[firsts]
        self.win_start, self.win_end = starts[firsts], ends[lasts]
        self.win_question = self.buf[np.minimum(self.win_end, max(n - 1, 0))] == ord("?") if n \
            else np.zeros(0, dtype=bool)                   # the sentence ends with a question mark
        gap = np.zeros(len(starts), dtype=np.int64)
        gap[1:] = 100 * ((clause[1:] != clause[:-1]) | new_win[1:])
        self.pos = np.cumsum(1 + gap)                      # a clause break or a new window: no phrase spans it
        # A name: two or more capitalized words in a row in one sentence ("Huddle Platform", "Security Suite"): it
        # names a product or a company and says no message, so its words are no content words for similarity.
        nxt_byte = np.minimum(starts + 1, max(n - 1, 0))
        title = ((self.buf[starts] >= 65) & (self.buf[starts] <= 90) & (ends - starts >= 2)
                 & (self.buf[nxt_byte] >= 97) & (self.buf[nxt_byte] <= 122)) if n else np.zeros(0, dtype=bool)
        pair = np.zeros(len(starts), dtype=bool)           # word i and word i + 1: both capitalized, one space apart
        if len(starts) > 1:
            pair[:-1] = (title[:-1] & title[1:] & ~new_sent[1:] & (starts[1:] == ends[:-1] + 1)
                         & (self.buf[np.minimum(ends[:-1], n - 1)] == 32))
        self.name = pair.copy()
        self.name[1:] |= pair[:-1]
        # the words as strings (their bytes gathered), then folded once per distinct word
        w_off = np.concatenate([[0], np.cumsum(ends - starts)])
        raw = pa.LargeStringArray.from_buffers(len(starts), pa.py_buffer(w_off.astype(np.int64)),
                                               pa.py_buffer(self.buf[word].tobytes()))
        enc = pc.dictionary_encode(raw)
        self.word_idx = enc.indices.to_numpy(zero_copy_only=False).astype(np.int64)
        self.words = fold_words(enc.dictionary)

    def text(self, windows: np.ndarray, and_next: np.ndarray | None = None) -> pa.Array:
        """The original text of these windows (with the next window's after a space where and_next is true)."""
        lo, hi = self.win_start[windows], self.win_end[windows]
        if and_next is not None and and_next.any():
            hi = np.where(and_next, self.win_end[np.minimum(windows + 1, self.n_windows - 1)], hi)
        lengths = hi - lo
        total = int(lengths.sum())
        before = np.concatenate([[0], np.cumsum(lengths)])
        idx = np.arange(total) - np.repeat(before[:-1], lengths) + np.repeat(lo, lengths)
        return pa.LargeStringArray.from_buffers(len(windows), pa.py_buffer(before.astype(np.int64)),
                                                pa.py_buffer(self.buf[idx].tobytes())).cast(pa.string())


def fold_words(words: pa.Array) -> pa.Array:
    """Words folded for matching: lower case, no accents or apostrophes, plurals singular ("policies" -> "policy",
    "trails" -> "trail", not "process")."""
    w = pc.utf8_lower(words)
    if not pc.all(pc.string_is_ascii(w)).as_py():
        w = pc.replace_substring_regex(pc.utf8_normalize(w, "NFKD"), r"[^a-z0-9]+", "")
    else:
        w = pc.replace_substring(w, "'", "")
    w = pc.replace_substring_regex(w, r"^([a-z]{2,})ies$", r"\1y")
    return pc.replace_substring_regex(w, r"^([a-z]{3,}[a-rt-z])s$", r"\1")


def analyze(texts) -> list[list[str]]:
    """Texts as lists of folded words (for the few texts of a catalog; scoring reads Tokens in bulk)."""
    texts = list(texts)
    t = Tokens(pa.array(texts, type=pa.string()))
    words = t.words.to_pylist()
    out: list[list[str]] = [[] for _ in texts]
    for turn, i in zip(t.win_turn[t.win], t.word_idx):
        if words[i]:
            out[turn].append(words[i])
    return out


def attributed(windows: pa.Array) -> np.ndarray:
    """Whether each window attributes what it says to someone else (see ATTRIBUTION)."""
    verbs = pc.match_substring_regex(windows, ATTRIBUTION)
    owners = pc.match_substring_regex(pc.replace_substring_regex(windows, CONTRACTIONS, "x"), POSSESSIVE)
    return pc.fill_null(pc.or_(verbs, owners), False).to_numpy(zero_copy_only=False)


def _char_wb_count(lengths: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """How many char_wb n-grams (lo..hi) scikit-learn makes of words of these lengths (padded by a space each side)."""
    padded = lengths + 2
    total = np.zeros(len(lengths), dtype=np.int64)
    alive = np.ones(len(lengths), dtype=bool)
    for n in range(lo, hi + 1):
        long = alive & (padded > n)
        total += np.where(long, padded - n + 1, 0)
        total += alive & ~long        # the whole padded word once, then no longer n-grams of it
        alive &= long
    return total


class MessageTracker:
    """Scores conversation turns against each catalog message: key phrases, then TF-IDF similarity to its text."""

    name = "message_tracker"

    def __init__(self, threshold: float = SIMILARITY_THRESHOLD, word_ngrams: tuple[int, int] = (1, 2),
                 char_ngrams: tuple[int, int] = (3, 5), char_weight: float = 0.5,
                 min_shared_terms: int = MIN_SHARED_TERMS, max_gap: int = 1, chunk_size: int = 200_000):
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
        if self.word_ngrams != (1, 2):
            raise ValueError("word n-grams are unigrams and bigrams")
        m = messages.reset_index(drop=True)
        self.message_ids_ = m["message_id"].astype(str).tolist()
        names = m["message_name"].fillna("").astype(str)
        desc = m["description"].fillna("").astype(str) if "description" in m else pd.Series([""] * len(m))
        raw_phrases = m["key_phrases"] if "key_phrases" in m else pd.Series([None] * len(m))
        self.catalog_ = [{"message_id": i, "message_name": n, "description": d, "key_phrases": split_phrases(p)}
                         for i, n, d, p in zip(self.message_ids_, names, desc, raw_phrases)]
        profiles = [". ".join([c["message_name"], c["description"], *c["key_phrases"]]) for c in self.catalog_]
        content = [[w for w in ws if w not in STOP_WORDS] for ws in analyze(profiles)]

        # Key phrases as sequences of words; the vocabulary holds their words and the profiles' content words.
        rows = [(j, p) for j, c in enumerate(self.catalog_) for p in c["key_phrases"]]
        phrase_words = analyze([p for _, p in rows])
        keep = [k for k, w in enumerate(phrase_words) if w]
        vocab = sorted(set().union(*map(set, content), *(phrase_words[k] for k in keep)))
        self.vocabulary_ = {w: i for i, w in enumerate(vocab)}
        self.vocab_array_ = pa.array(vocab, type=pa.string())
        self.stop_array_ = pa.array(sorted(STOP_WORDS), type=pa.string())
        self.phrases_ = pd.DataFrame({"message_idx": [rows[k][0] for k in keep], "phrase": [rows[k][1] for k in keep],
                                      "terms": [[self.vocabulary_[w] for w in phrase_words[k]] for k in keep]})
        tm = sorted({(self.vocabulary_[w], j) for j, ws in enumerate(content) for w in ws})
        self.term_message_ = sparse.csr_matrix(
            (np.ones(len(tm)), ([t for t, _ in tm], [j for _, j in tm])), shape=(len(vocab), len(self.catalog_)))

        # TF-IDF on the profiles (content words, stemmed): word 1-2-grams and char_wb n-grams.
        docs = [" ".join(ws) for ws in content]
        fit_docs = docs if any(docs) else docs + ["placeholder"]   # a catalog of names without words
        common = dict(lowercase=False, norm=None, sublinear_tf=False, smooth_idf=True)
        self.word_vectorizer_ = TfidfVectorizer(analyzer="word", ngram_range=self.word_ngrams,
                                                token_pattern=r"(?u)\b\w+\b", **common)
        self.char_vectorizer_ = TfidfVectorizer(analyzer="char_wb", ngram_range=self.char_ngrams, **common)
        self.profile_word_ = _l2(self.word_vectorizer_.fit_transform(fit_docs)[:len(docs)])
        self.profile_char_ = _l2(self.char_vectorizer_.fit_transform(fit_docs)[:len(docs)])
        self.unseen_idf_ = math.log((1 + len(fit_docs)) / 1) + 1   # scikit-learn's smooth idf of a term in no doc
        features = self.word_vectorizer_.get_feature_names_out()
        uni = [f for f in features if " " not in f]
        self.unigram_array_ = pa.array(uni, type=pa.string())
        self.unigram_cols_ = np.array([self.word_vectorizer_.vocabulary_[f] for f in uni], dtype=np.int64)
        pos = {f: i for i, f in enumerate(uni)}
        bi = [(pos[a] * len(uni) + pos[b], self.word_vectorizer_.vocabulary_[f])
              for f in features if " " in f for a, b in [f.split(" ")]]
        bi.sort()
        self.bigram_keys_ = np.array([k for k, _ in bi], dtype=np.int64)
        self.bigram_cols_ = np.array([c for _, c in bi], dtype=np.int64)
        self._char_memo = ([], None, np.zeros(0))      # words seen, their char_wb TF-IDF rows, their n-gram counts
        self._memo_lock = threading.Lock()               # chunks may be scored on several threads at once
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
        """No matches, with MATCH_COLUMNS typed."""
        return pd.DataFrame({c: pd.Series(dtype="float64" if c == "score" else "int64" if c == "turn_no"
                                          else "object") for c in MATCH_COLUMNS})

    def _score_chunk(self, turns: pd.DataFrame) -> pd.DataFrame:
        """Phrase hits and similarity scores of one chunk of turns (see score)."""
        if turns.empty or not self.catalog_:
            return self._empty()
        text = turns["text"]
        tk = Tokens(pa.array(text.astype(object).where(text.notna(), None), type=pa.string()))
        n_win, words, idx, win = tk.n_windows, tk.words, tk.word_idx, tk.win
        real = (pc.utf8_length(words).to_numpy() > 0)[idx]
        idx, win, pos = idx[real], win[real], tk.pos[real]
        d_vocab = pc.fill_null(pc.index_in(words, value_set=self.vocab_array_), -1).to_numpy()
        d_stop = pc.is_in(words, value_set=self.stop_array_).to_numpy(zero_copy_only=False)
        ids = d_vocab[idx]
        known = ids >= 0

        parts = []
        hits = self._phrase_hits(ids[known], pos[known], win[known])
        if len(hits):
            parts.append(pd.DataFrame({"window": hits[:, 0], "message_idx": hits[:, 1], "score": 1.0,
                                       "method": "phrase", "pair": False}))
        content = ~d_stop[idx] & ~tk.name[real]
        parts.append(self._similarity(words, idx[content], win[content], ids[content], tk.win_turn, n_win))
        found = pd.concat(parts, ignore_index=True)
        if found.empty:
            return self._empty()
        w = found["window"].to_numpy().astype(np.int64)
        pair = found["pair"].to_numpy().astype(bool)
        nxt = np.minimum(w + 1, n_win - 1)
        uw = np.unique(np.concatenate([w, nxt[pair]]))
        other = np.zeros(n_win, dtype=bool)
        other[uw] = attributed(tk.text(uw))
        ok = ~(other[w] | (pair & other[nxt]))
        # The rep's question asks about it rather than says it (a prospect's question is how a prospect mentions it).
        asks = tk.win_question[w] | (pair & tk.win_question[nxt])
        ok &= ~(asks & (turns["speaker_role"].to_numpy()[tk.win_turn[w]] != "prospect"))
        found, w, pair = found[ok], w[ok], pair[ok]
        if found.empty:
            return self._empty()
        # The snippet: the window's text (two consecutive sentences for a pair), trimmed.
        snippet = tk.text(w, and_next=pair)
        t = turns.iloc[tk.win_turn[w]]
        res = pd.DataFrame({
            "activity_id": t["activity_id"].to_numpy(),
            "message_id": np.asarray(self.message_ids_)[found["message_idx"].to_numpy().astype(np.int64)],
            "turn_no": t["turn_no"].to_numpy(), "speaker": t["speaker"].to_numpy(),
            "speaker_role": t["speaker_role"].to_numpy(), "score": found["score"].to_numpy(dtype=float),
            "method": found["method"].to_numpy(), "snippet": trim(snippet).to_numpy(zero_copy_only=False)})
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
            if len(terms) == 1:
                ok = np.ones(len(starts), dtype=bool)
            else:
                ok = np.zeros(len(starts), dtype=bool)
                for gap_at in [None, *(range(1, len(terms)) if self.max_gap else [])]:
                    hit = np.ones(len(starts), dtype=bool)      # None: contiguous; k: a word inserted before word k
                    for k, t in enumerate(terms[1:], start=1):
                        want = starts + k + (1 if gap_at is not None and k >= gap_at else 0)
                        p = s_pos[bounds[t]:bounds[t + 1]]
                        if not len(p):
                            hit[:] = False
                            break
                        j = np.minimum(np.searchsorted(p, want), len(p) - 1)
                        hit &= p[j] == want
                    ok |= hit
            found.extend((w, midx) for w in np.unique(start_win[ok]))
        return np.array(found, dtype=np.int64).reshape(-1, 2)

    def _similarity(self, words, d_idx, win, ids, w_turn, n_win) -> pd.DataFrame:
        """Cosine scores of windows, and of two consecutive sentences of a turn, sharing at least min_shared_terms
        content words with a message (the content words of the chunk given as dictionary indices, in order)."""
        cols = ["window", "message_idx", "score", "method", "pair"]
        voc = ids >= 0
        b = sparse.csr_matrix((np.ones(int(voc.sum())), (win[voc], ids[voc])), shape=(n_win, len(self.vocabulary_)))
        b.sum_duplicates()
        b.data[:] = 1.0
        same_turn = np.zeros(n_win, dtype=float)
        same_turn[:-1] = w_turn[1:] == w_turn[:-1]
        shift = sparse.csr_matrix((same_turn[:-1], (np.arange(n_win - 1), np.arange(1, n_win))), shape=(n_win, n_win))
        b2 = (b + shift @ b).tocsr()
        b2.data[:] = 1.0
        single = (b @ self.term_message_).tocoo()
        double = (b2 @ self.term_message_).tocoo()
        s_ok = single.data >= self.min_shared_terms
        cand_s = (single.row[s_ok], single.col[s_ok])
        # a pair is worth scoring when it shares more words with the message than either sentence alone
        d_ok = double.data >= self.min_shared_terms
        dr, dc, dv = double.row[d_ok], double.col[d_ok], double.data[d_ok]
        alone = single.tocsr()
        best_alone = np.maximum(np.asarray(alone[dr, dc]).ravel(), np.asarray(alone[np.minimum(dr + 1, n_win - 1), dc])
                                .ravel()) if len(dr) else np.zeros(0)
        better = dv > best_alone
        cand_p = (dr[better], dc[better])
        if not len(cand_s[0]) and not len(cand_p[0]):
            return pd.DataFrame(columns=cols)
        rows = np.unique(np.concatenate([cand_s[0], cand_p[0], cand_p[0] + 1]))
        x_word, x_char, unknown_w, unknown_c = self._tfidf(words, d_idx, win, rows, n_win)
        frames = []
        for (r, msg), is_pair in ((cand_s, False), (cand_p, True)):
            if not len(r):
                continue
            xw, xc, uw, uc = x_word[r], x_char[r], unknown_w[r], unknown_c[r]
            if is_pair:
                r2 = r + 1
                xw, xc = xw + x_word[r2], xc + x_char[r2]
                uw, uc = uw + unknown_w[r2], uc + unknown_c[r2]
            score = ((1 - self.char_weight) * _cosine(xw, uw, self.profile_word_[msg], self.unseen_idf_)
                     + self.char_weight * _cosine(xc, uc, self.profile_char_[msg], self.unseen_idf_))
            frames.append(pd.DataFrame({"window": r, "message_idx": msg, "score": score, "method": "similarity",
                                        "pair": is_pair}))
        return pd.concat(frames, ignore_index=True)

    def _tfidf(self, words, d_idx, win, rows, n_win):
        """Raw TF-IDF rows (word 1-2-grams, char_wb n-grams) of the windows `rows` with the fitted vocabularies, and
        per window the count of its n-grams the vocabularies lack; other rows stay empty."""
        sel = np.isin(win, rows)
        d_idx, win = d_idx[sel], win[sel]
        n_uni = len(self.unigram_cols_)
        n_feat = len(self.word_vectorizer_.vocabulary_)
        # unigrams and bigrams (consecutive content words of one window), as scikit-learn's word analyzer makes them
        d_uni = pc.fill_null(pc.index_in(words, value_set=self.unigram_array_), -1).to_numpy()
        u = d_uni[d_idx]
        u_ok = u >= 0
        first = np.ones(len(win), dtype=bool)
        first[1:] = win[1:] != win[:-1]
        a, b = u[:-1], u[1:]
        pair_ok = ~first[1:] & (a >= 0) & (b >= 0)
        keys = a[pair_ok] * n_uni + b[pair_ok]
        j = np.minimum(np.searchsorted(self.bigram_keys_, keys), max(len(self.bigram_keys_) - 1, 0))
        bi_ok = self.bigram_keys_[j] == keys if len(self.bigram_keys_) else np.zeros(len(keys), dtype=bool)
        bi_win = win[1:][pair_ok][bi_ok]
        rws = np.concatenate([win[u_ok], bi_win])
        cls = np.concatenate([self.unigram_cols_[u[u_ok]], self.bigram_cols_[j[bi_ok]]])
        idf_w = self.word_vectorizer_.idf_
        x_word = sparse.csr_matrix((idf_w[cls], (rws, cls)), shape=(n_win, n_feat))
        x_word.sum_duplicates()
        n_words = np.bincount(win, minlength=n_win)
        known_w = np.bincount(rws, minlength=n_win)
        unknown_w = n_words + np.maximum(n_words - 1, 0) - known_w
        # char_wb n-grams: per distinct word, from scikit-learn's analyzer (remembered across chunks)
        d_rows, d_total = self._char_rows(words, np.unique(d_idx))
        counts = sparse.csr_matrix((np.ones(len(d_idx)), (win, d_idx)), shape=(n_win, len(words)))
        x_char = (counts @ d_rows).tocsr()
        known_c = np.asarray((x_char.multiply(1.0 / self.char_vectorizer_.idf_[None, :])).sum(axis=1)).ravel() \
            if x_char.nnz else np.zeros(n_win)
        unknown_c = counts @ d_total - known_c
        return x_word, x_char, unknown_w.astype(float), np.maximum(unknown_c, 0.0)

    def _char_rows(self, words: pa.Array, used: np.ndarray):
        """char_wb TF-IDF rows and n-gram counts of the chunk's distinct words (rows of words not `used` are empty)."""
        with self._memo_lock:
            return self._char_rows_locked(words, used)

    def _char_rows_locked(self, words: pa.Array, used: np.ndarray):
        """_char_rows under the memo's lock: new words go through the fitted char_wb vectorizer once."""
        seen, rows, totals = self._char_memo
        used_words = pc.take(words, pa.array(used))
        at = pc.fill_null(pc.index_in(used_words, value_set=pa.array(seen, type=pa.string())), -1).to_numpy()
        new = used[at < 0]
        if len(new):
            new_words = pc.take(words, pa.array(new)).to_pylist()
            x = self.char_vectorizer_.transform(new_words).tocsr()
            n = _char_wb_count(np.array([len(w) for w in new_words]), *self.char_ngrams)
            rows = x if rows is None else sparse.vstack([rows, x]).tocsr()
            totals = np.concatenate([totals, n])
            seen = seen + new_words
            self._char_memo = (seen, rows, totals)
            at = pc.fill_null(pc.index_in(used_words, value_set=pa.array(seen, type=pa.string())), -1).to_numpy()
        pick = sparse.csr_matrix((np.ones(len(used)), (used, at)), shape=(len(words), rows.shape[0]))
        return (pick @ rows).tocsr(), pick @ totals


def _cosine(x, unknown, profile, unseen_idf) -> np.ndarray:
    """Row-wise cosine of raw TF-IDF rows with (l2-normalized) profile rows; each n-gram outside the vocabulary
    adds an unseen term's weight to the row's norm."""
    x = sparse.csr_matrix(x)
    sq = np.asarray(x.multiply(x).sum(axis=1)).ravel() + unknown * unseen_idf ** 2
    dots = np.asarray(x.multiply(profile).sum(axis=1)).ravel()
    return dots / np.sqrt(np.maximum(sq, 1e-12))


def _l2(x) -> sparse.csr_matrix:
    """Rows scaled to unit length (empty rows stay empty)."""
    x = sparse.csr_matrix(x, dtype=np.float64)
    norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
    return sparse.diags(1.0 / np.where(norms > 0, norms, 1.0)) @ x


def trim(texts: pa.Array) -> pa.Array:
    """Snippets of at most about SNIPPET_CHARS characters (a longer one cut, with an ellipsis)."""
    long = pc.greater(pc.utf8_length(texts), SNIPPET_CHARS)
    if not pc.any(long).as_py():
        return texts
    cut = pc.binary_join_element_wise(
        pc.utf8_rtrim_whitespace(pc.utf8_slice_codeunits(texts, 0, SNIPPET_CHARS - 2)), "…", "")
    return pc.if_else(long, cut, texts)


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


def calibrate(tracker: MessageTracker | None = None, shared_terms: tuple[int, ...] = (1, 2)) -> tuple[int, float]:
    """(min_shared_terms, threshold) with the most recall on the fixture's calibration split among those whose
    precision there is at least TARGET_PRECISION (none: the most precise); ties go to the stricter."""
    snippets, catalog = fixture()
    cal = snippets[snippets["split"] == "calibration"]
    y = cal["label"].to_numpy() == 1
    options = []
    for k in shared_terms:
        params = {**(tracker or MessageTracker()).get_params(), "min_shared_terms": k}
        s = fixture_scores(MessageTracker(**params).fit(catalog), cal)
        for t in np.round(np.arange(0.01, 0.60, 0.01), 2):
            p = predicted_used(s, t)
            tp, fp, fn = int((p & y).sum()), int((p & ~y).sum()), int((~p & y).sum())
            options.append((tp / (tp + fp) if tp + fp else 0.0, tp / (tp + fn) if tp + fn else 0.0, k, float(t)))
    ok = [o for o in options if o[0] >= TARGET_PRECISION]
    best = max(ok, key=lambda o: (o[1], o[3], o[2])) if ok else max(options, key=lambda o: (o[0], o[1], o[3]))
    return best[2], best[3]


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
