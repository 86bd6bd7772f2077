"""Scoring activities with the message trackers, and marketing's edits of key phrases.

track_activities scores each activity not yet scored at the current tracker version (a hash of the catalog's names,
descriptions and key phrases and of the tracker's parameters), chunk by chunk, inside the caller's transaction:
an upload of new activities scores only those; a changed catalog or phrase scores everything again, over the
whole history (before launch too: that is the baseline). With HUDDLE_KEEP_TRANSCRIPTS=false the text is dropped
once scored; such activities cannot be scored again, so when the catalog changes they keep their earlier matches
(counted as `kept_without_text`). Only turns holding one of the catalog's trigger words (trigger_pattern, tested in
DuckDB as the turns are read) reach the tracker: no other turn can match, so the results are those of reading all.

Key phrase edits (set_key_phrases) are rows of key_phrase_edits: the latest edit of a message is in force while the
catalog still carries the phrases it replaced; a catalog upload with other phrases for that message supersedes it
(see analytics.model.catalog); undo_key_phrase_edit returns to the previous edit or the catalog's phrases.
"""

from __future__ import annotations

import re
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import TYPE_CHECKING

from .. import settings
from ..db import atomic, bump_data_version, sql
from ..estimators import ESTIMATORS
from ..estimators.phrases import split_phrases
from ..model.catalog import refresh_key_phrases
from .errors import IngestError

if TYPE_CHECKING:        # annotations only: the tracker (scikit-learn) loads through ESTIMATORS when tracking runs
    import pandas as pd

    from ..estimators.tracker import MessageTracker

CHUNK_ACTIVITIES = 10_000      # activities read and scored at a time (bounded memory on millions)
SCORING_THREADS = 2            # chunks scored at once while the next is read (numpy and Arrow release the GIL)
TRACKER = "message_tracker"    # the estimator that scores activities (analytics.estimators.ESTIMATORS)


def catalog_frame(con) -> pd.DataFrame:
    """The catalog messages the trackers listen for: id, name, description and key phrases in force."""
    return con.execute("""
        SELECT message_id, message_name, description, key_phrases FROM messages
        WHERE in_catalog ORDER BY message_id
    """).df()


def tracker_for(con) -> MessageTracker:
    """The tracker fitted to the catalog in force."""
    return ESTIMATORS[TRACKER]().fit(catalog_frame(con))


def tracker_version(con) -> str:
    """The version activities are scored at now (changes with the catalog's text and phrases, or the method)."""
    return tracker_for(con).version()


def track_activities(con, activity_ids: list[str] | None = None, only_new: bool = True,
                     chunk_activities: int = CHUNK_ACTIVITIES, prefilter: bool = True) -> dict:
    """Score activities for message mentions (those not yet scored at the current version; all with only_new=False,
    or only `activity_ids`); returns counts. Joins the caller's transaction, or runs in one of its own.
    prefilter=False reads every turn, not only those with a trigger word (the same results, slower)."""
    started = time.monotonic()
    with atomic(con):
        tracker = tracker_for(con)
        version = tracker.version()
        # "": every turn; a pattern nothing matches when no turn can match
        pattern = (trigger_pattern(tracker) or r"[^\s\S]") if prefilter else ""
        removed = _drop_orphans(con)
        con.execute("DROP TABLE IF EXISTS track_todo")
        params = {"v": version}        # bound only when the query reads it
        subset = ""
        if activity_ids is not None:
            con.execute("CREATE OR REPLACE TEMP TABLE track_ids AS SELECT unnest($ids::VARCHAR[]) AS activity_id",
                        {"ids": [str(i) for i in activity_ids]})
            subset = "AND a.activity_id IN (SELECT activity_id FROM track_ids)"
        current = "" if not only_new else """AND NOT EXISTS (SELECT 1 FROM tracked_activities t
            WHERE t.activity_id = a.activity_id AND t.tracker_version = $v
              AND t.row_hash IS NOT DISTINCT FROM a.row_hash)"""
        # An activity whose text was dropped after an earlier scoring keeps what that scoring found.
        con.execute(f"""
            CREATE TEMP TABLE track_todo AS
            SELECT a.activity_id, a.row_hash,
                   EXISTS (SELECT 1 FROM activity_turns u WHERE u.activity_id = a.activity_id
                           AND u.text IS NOT NULL) AS has_text,
                   EXISTS (SELECT 1 FROM tracked_activities t WHERE t.activity_id = a.activity_id) AS was_tracked
            FROM activities a WHERE true {subset} {current}
        """, params if only_new else {})
        if activity_ids is not None:
            con.execute("DROP TABLE track_ids")
        kept = con.execute("SELECT count(*) FROM track_todo WHERE NOT has_text AND was_tracked").fetchone()[0]
        con.execute("DELETE FROM track_todo WHERE NOT has_text AND was_tracked")
        con.execute("""CREATE OR REPLACE TEMP TABLE track_todo AS
                       SELECT *, (row_number() OVER (ORDER BY activity_id) - 1) // $n AS chunk FROM track_todo""",
                    {"n": int(chunk_activities)})
        n_todo, n_chunks = con.execute("SELECT count(*), coalesce(max(chunk) + 1, 0) FROM track_todo").fetchone()
        con.execute("DELETE FROM message_mentions WHERE activity_id IN (SELECT activity_id FROM track_todo)")
        con.execute("DELETE FROM tracked_activities WHERE activity_id IN (SELECT activity_id FROM track_todo)")
        now = datetime.now(timezone.utc).replace(tzinfo=None)
        n_mentions = n_matched = 0

        def write(c: int, matches: pd.DataFrame) -> None:
            nonlocal n_mentions, n_matched
            if len(matches):
                con.register("new_mentions", matches.assign(tracker_version=version))
                con.execute("INSERT INTO message_mentions BY NAME SELECT * FROM new_mentions")
                con.unregister("new_mentions")
                n_mentions += len(matches)
                n_matched += matches["activity_id"].nunique()
            con.execute("""INSERT INTO tracked_activities (activity_id, tracker_version, tracked_at, row_hash)
                           SELECT activity_id, $v, $t, row_hash FROM track_todo WHERE chunk = $c""",
                        {"v": version, "t": now, "c": c})

        # The connection reads and writes on this thread; chunks are scored on others meanwhile.
        with ThreadPoolExecutor(max_workers=SCORING_THREADS) as pool:
            pending: deque = deque()
            for c in range(int(n_chunks)):
                pending.append((c, pool.submit(tracker.best_matches, _chunk_turns(con, c, pattern))))
                if len(pending) >= SCORING_THREADS:
                    done, future = pending.popleft()
                    write(done, future.result())
            while pending:
                done, future = pending.popleft()
                write(done, future.result())
        dropped = _drop_text(con) if not settings.keep_transcripts() and n_todo else 0
        if n_todo or removed:
            bump_data_version(con)
        con.execute("DROP TABLE IF EXISTS track_todo")
    return {"tracker_version": version, "messages": len(tracker.catalog_), "activities_scored": int(n_todo),
            "activities_matched": int(n_matched), "mentions": int(n_mentions), "kept_without_text": int(kept),
            "removed_with_activity": int(removed), "text_dropped": int(dropped),
            "seconds": round(time.monotonic() - started, 2)}


def trigger_pattern(tracker: MessageTracker) -> str | None:
    """A regular expression matching the lower-cased, apostrophe-free ASCII text of every turn the tracker can match
    (None: no turn can match): one of the messages' content words (a similarity needs one) or, for a key phrase of
    stop words only, its longest word (a phrase needs all its words), as a whole word in each form the tracker folds
    to it (`tool`, `tools`; `policy`, `policies`); letters and digits are separate words, as for the tracker."""
    words = tracker.vocab_array_.to_pylist()
    rows = tracker.term_message_.tocsr().indptr.tolist()         # the messages each vocabulary word is content of
    content = {i for i in range(len(words)) if rows[i + 1] > rows[i]}
    needed = {words[i] for i in content}
    for terms in tracker.phrases_["terms"]:
        if not content.intersection(terms):
            needed.add(max((words[t] for t in terms), key=len))
    forms = {w for w in needed if w.isdigit()}
    letters = sorted({f for w in needed if w and not w.isdigit()
                      for f in (w, w + "s", *([w[:-1] + "ies"] if w.endswith("y") else []))})
    parts = ([f"(?:^|[^a-z])(?:{'|'.join(map(re.escape, letters))})(?:[^a-z]|$)"] if letters else []) + \
            ([f"(?:^|[^0-9])(?:{'|'.join(map(re.escape, sorted(forms)))})(?:[^0-9]|$)"] if forms else [])
    return "|".join(parts) or None


def _chunk_turns(con, chunk: int, pattern: str | None) -> pd.DataFrame:
    """The turns with text of one chunk of the activities to score, in order: only those holding one of the
    tracker's trigger words (trigger_pattern), since no other turn can match; a turn with a character outside ASCII
    is always read (the tracker folds accents)."""
    lo, hi = con.execute("SELECT min(activity_id), max(activity_id) FROM track_todo WHERE chunk = $c",
                         {"c": chunk}).fetchone()
    return con.execute("""
        SELECT u.activity_id, u.turn_no, u.speaker, u.speaker_role, u.text FROM activity_turns u
        WHERE u.activity_id BETWEEN $lo AND $hi AND u.text IS NOT NULL
          AND u.activity_id IN (SELECT activity_id FROM track_todo WHERE chunk = $c)
          AND (strlen(u.text) <> length(u.text) OR regexp_matches(lower(replace(u.text, '''', '')), $p))
        ORDER BY u.activity_id, u.turn_no
    """, {"lo": lo, "hi": hi, "c": chunk, "p": pattern}).df()


def _drop_orphans(con) -> int:
    """Remove the mentions and scoring records of activities no longer current (an undone upload)."""
    n = con.execute("""SELECT count(*) FROM tracked_activities
                       WHERE activity_id NOT IN (SELECT activity_id FROM activities)""").fetchone()[0]
    if n:
        con.execute("DELETE FROM message_mentions WHERE activity_id NOT IN (SELECT activity_id FROM activities)")
        con.execute("DELETE FROM tracked_activities WHERE activity_id NOT IN (SELECT activity_id FROM activities)")
    return n


def _drop_text(con) -> int:
    """HUDDLE_KEEP_TRANSCRIPTS=false: the scored activities' text goes (their matches keep their snippets)."""
    scored = "SELECT activity_id FROM track_todo"
    n = con.execute(f"SELECT count(*) FROM activities WHERE body IS NOT NULL AND activity_id IN ({scored})"
                    ).fetchone()[0]
    con.execute(f"UPDATE activity_turns SET text = NULL WHERE text IS NOT NULL AND activity_id IN ({scored})")
    con.execute(f"UPDATE activities SET body = NULL WHERE body IS NOT NULL AND activity_id IN ({scored})")
    con.execute(f"UPDATE activity_versions SET body = NULL WHERE body IS NOT NULL AND activity_id IN ({scored})")
    return n


def tracking_status(con) -> dict:
    """How many activities are scored at the current version, at an older one, or not at all."""
    version = tracker_version(con)
    row = con.execute("""
        SELECT count(*), count(*) FILTER (WHERE t.tracker_version = $v),
               count(*) FILTER (WHERE t.tracker_version IS NOT NULL AND t.tracker_version <> $v)
        FROM activities a LEFT JOIN tracked_activities t USING (activity_id)
    """, {"v": version}).fetchone()
    return {"tracker_version": version, "activities": row[0], "current": row[1], "older_version": row[2],
            "not_scored": row[0] - row[1] - row[2],
            "mentions": con.execute("SELECT count(*) FROM message_mentions").fetchone()[0]}


# --- key phrases edited by marketing ----------------------------------------------------------------------------
def set_key_phrases(con, message_id: str, phrases: list[str] | str, user: str | None) -> dict:
    """Set a catalog message's key phrases (a list, or ';'-separated text; empty: none), recorded as an edit that
    survives re-uploads of the same catalog and can be undone; then activities are scored again. Returns counts."""
    text = "; ".join(split_phrases(phrases if isinstance(phrases, str) else ";".join(phrases)))
    with atomic(con):
        row = con.execute("SELECT key_phrases, in_catalog FROM messages WHERE message_id = $id",
                          {"id": message_id}).fetchone()
        if row is None:
            raise IngestError(f"no message with id {message_id!r}")
        if not row[1]:
            raise IngestError(f"{message_id!r} is not in the message catalog: only catalog messages have trackers")
        catalog = _catalog_phrases(con, message_id)
        edit_id = con.execute("SELECT coalesce(max(edit_id), 0) + 1 FROM key_phrase_edits").fetchone()[0]
        con.execute("""INSERT INTO key_phrase_edits (edit_id, message_id, key_phrases, catalog_phrases, edited_by,
                           edited_at) VALUES ($e, $id, $p, $c, $u, $t)""",
                    {"e": edit_id, "id": message_id, "p": text, "c": catalog, "u": user, "t": _now()})
        refresh_key_phrases(con)
        bump_data_version(con)
        counts = track_activities(con)
    return {"edit_id": int(edit_id), "message_id": message_id, "key_phrases": text or None, **counts}


def undo_key_phrase_edit(con, edit_id: int, user: str | None) -> dict:
    """Undo one key phrase edit: the previous edit, else the catalog's phrases, are in force again; re-scores."""
    with atomic(con):
        row = con.execute("SELECT message_id, undone_at FROM key_phrase_edits WHERE edit_id = $e",
                          {"e": edit_id}).fetchone()
        if row is None:
            raise IngestError(f"no key phrase edit {edit_id}")
        if row[1] is not None:
            raise IngestError(f"key phrase edit {edit_id} was already undone")
        con.execute("UPDATE key_phrase_edits SET undone_at = $t, undone_by = $u WHERE edit_id = $e",
                    {"t": _now(), "u": user, "e": edit_id})
        refresh_key_phrases(con)
        bump_data_version(con)
        counts = track_activities(con)
    return {"edit_id": int(edit_id), "message_id": row[0], **counts}


def key_phrase_history(con, message_id: str | None = None) -> pd.DataFrame:
    """Edits of key phrases, newest first, each with its state: in force, superseded by the catalog, replaced by
    a later edit, or undone."""
    con.execute(sql("staging/stg_latest_versions.sql"))
    return con.execute("""
        WITH e AS (
            SELECT *, row_number() OVER (PARTITION BY message_id ORDER BY CASE WHEN undone_at IS NULL THEN 0 ELSE 1
                                         END, edit_id DESC) AS rank_live
            FROM key_phrase_edits WHERE $id IS NULL OR message_id = $id)
        SELECT e.edit_id, e.message_id, e.key_phrases, e.catalog_phrases, e.edited_by, e.edited_at,
               e.undone_at, e.undone_by,
               CASE WHEN e.undone_at IS NOT NULL THEN 'undone'
                    WHEN e.rank_live > 1 THEN 'replaced by a later edit'
                    WHEN m.key_phrases_source = 'edit' THEN 'in force'
                    ELSE 'superseded by a catalog upload' END AS state
        FROM e LEFT JOIN messages m USING (message_id)
        ORDER BY e.edit_id DESC
    """, {"id": message_id}).df()


def _catalog_phrases(con, message_id: str):
    """The key phrases the latest catalog upload gives a message (None when none, or not in the catalog)."""
    con.execute(sql("staging/stg_latest_versions.sql"))
    row = con.execute("SELECT key_phrases FROM latest_messages() WHERE replace(message_key, ' ', '-') = $id",
                      {"id": message_id}).fetchone()
    return row[0] if row else None


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)
