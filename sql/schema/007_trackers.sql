-- Version 7: message trackers. The catalog may carry key phrases (';'-separated); every activity scored by the
-- trackers is recorded at the tracker version that scored it, and each (activity, message) keeps its best match.
ALTER TABLE message_versions ADD COLUMN IF NOT EXISTS key_phrases VARCHAR;
ALTER TABLE messages ADD COLUMN IF NOT EXISTS key_phrases VARCHAR;          -- in force: the catalog's, or an edit
ALTER TABLE messages ADD COLUMN IF NOT EXISTS key_phrases_source VARCHAR;   -- catalog | edit | NULL (none)

-- One row per (activity, message) whose best match scored at or above the tracker's threshold.
CREATE TABLE IF NOT EXISTS message_mentions (
    activity_id      VARCHAR NOT NULL,
    message_id       VARCHAR NOT NULL,
    turn_no          INTEGER,
    speaker_role     VARCHAR,                  -- rep | prospect | unknown (who said the matched words)
    speaker          VARCHAR,
    score            DOUBLE,                   -- 1 for a key phrase; the cosine similarity otherwise
    method           VARCHAR,                  -- phrase | similarity
    snippet          VARCHAR,                  -- the matched sentence(s), at most about 200 characters
    tracker_version  VARCHAR NOT NULL
);

-- One row per activity scored at a tracker version, whether anything matched or not.
CREATE TABLE IF NOT EXISTS tracked_activities (
    activity_id      VARCHAR NOT NULL,
    tracker_version  VARCHAR NOT NULL,
    tracked_at       TIMESTAMP,
    row_hash         VARCHAR                   -- the activity's version scored (a changed activity is scored again)
);

-- One row per edit of a message's key phrases on the Field usage page. The edit is in force while the catalog
-- still carries the phrases it replaced (`catalog_phrases`); a catalog upload with other phrases for that message
-- supersedes it. Undoing an edit sets undone_at; the previous edit (or the catalog's phrases) is then in force.
CREATE TABLE IF NOT EXISTS key_phrase_edits (
    edit_id          INTEGER NOT NULL,
    message_id       VARCHAR NOT NULL,
    key_phrases      VARCHAR,                  -- the phrases set (';'-separated; empty: no phrases)
    catalog_phrases  VARCHAR,                  -- the catalog's phrases when the edit was made
    edited_by        VARCHAR,
    edited_at        TIMESTAMP,
    undone_at        TIMESTAMP,
    undone_by        VARCHAR
);
