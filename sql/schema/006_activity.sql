-- Version 6: activities (calls, meetings, emails, notes, tasks), the sixth upload kind (analytics/ingest/kinds/activity.py).
-- Versions as for every kind; `activities` is rebuilt from the versions of active uploads (sql/build/activities.sql)
-- and `activity_turns` holds one row per speaker turn of each current activity. No keys: it runs on DuckLake as is.
CREATE TABLE IF NOT EXISTS activity_versions (
    upload_id      INTEGER NOT NULL,
    activity_id    VARCHAR NOT NULL,
    row_hash       VARCHAR NOT NULL,
    line_number    INTEGER,
    activity_type  VARCHAR,                   -- call | meeting | email | note | task
    activity_at    TIMESTAMP,
    rep_email      VARCHAR,
    rep_name       VARCHAR,
    rep_crm_id     VARCHAR,
    deal_ref       VARCHAR,                   -- opportunity id as the source wrote it (or the opportunity's name)
    title          VARCHAR,
    duration_s     DOUBLE,
    body           VARCHAR,                   -- transcript / description / email body; speaker turns as lines
                                              -- "Speaker Name: text" when the source has them
    source_file    VARCHAR,
    source_key     VARCHAR
);

CREATE TABLE IF NOT EXISTS activities (
    activity_id     VARCHAR NOT NULL,
    rep_id          VARCHAR,
    opportunity_id  VARCHAR,                  -- resolved from deal_ref; NULL when none or not found
    activity_type   VARCHAR,
    activity_at     TIMESTAMP,
    activity_date   DATE,
    title           VARCHAR,
    duration_s      DOUBLE,
    body            VARCHAR,                  -- NULL when transcripts are not kept (HUDDLE_KEEP_TRANSCRIPTS=false)
    n_words         INTEGER,
    rep_email       VARCHAR,                  -- the rep as the source wrote it (email, name, CRM user id)
    rep_name        VARCHAR,
    rep_crm_id      VARCHAR,
    deal_ref        VARCHAR,
    source_file     VARCHAR,
    upload_id       INTEGER,
    row_hash        VARCHAR,
    source_key      VARCHAR
);

CREATE TABLE IF NOT EXISTS activity_turns (
    activity_id   VARCHAR NOT NULL,
    turn_no       INTEGER NOT NULL,           -- 1, 2, ... in the order spoken or written
    speaker       VARCHAR,                    -- as labelled in the source; NULL when it has no speakers
    speaker_role  VARCHAR,                    -- rep | prospect | unknown
    text          VARCHAR
);
