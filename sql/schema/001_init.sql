-- Version 1: uploads, rejected rows, versioned raw records and the current (resolved) tables.
-- Each upload appends versions; current tables are rebuilt from the versions of active uploads.

CREATE TABLE IF NOT EXISTS uploads (
    upload_id      INTEGER PRIMARY KEY,
    kind           VARCHAR NOT NULL,          -- crm | crm_users | quiz | feedback | messages | reps
    file_name      VARCHAR NOT NULL,
    sha256         VARCHAR NOT NULL,
    source_format  VARCHAR,
    encoding       VARCHAR,
    delimiter      VARCHAR,
    options_json   VARCHAR,                   -- column map, stage map, date formats used
    uploaded_by    VARCHAR,
    uploaded_at    TIMESTAMP NOT NULL,
    n_read         INTEGER,
    n_inserted     INTEGER,
    n_updated      INTEGER,
    n_unchanged    INTEGER,
    n_rejected     INTEGER,
    n_skipped      INTEGER,
    warnings_json  VARCHAR,
    status         VARCHAR NOT NULL DEFAULT 'active',   -- active | undone
    undone_at      TIMESTAMP
);

CREATE TABLE IF NOT EXISTS rejected_rows (
    upload_id    INTEGER NOT NULL,
    line_number  INTEGER,
    reason       VARCHAR NOT NULL,
    raw_json     VARCHAR
);

-- Raw versions: one row per record per upload that inserted or changed it.
CREATE TABLE IF NOT EXISTS opportunity_versions (
    upload_id        INTEGER NOT NULL,
    opportunity_id   VARCHAR NOT NULL,
    row_hash         VARCHAR NOT NULL,
    line_number      INTEGER,
    opportunity_name VARCHAR,
    account_name     VARCHAR,
    owner_name       VARCHAR,
    owner_email      VARCHAR,
    owner_crm_id     VARCHAR,
    stage            VARCHAR,
    outcome          VARCHAR,                 -- won | lost | open
    amount           DOUBLE,
    currency         VARCHAR,
    created_date     DATE,
    close_date       DATE,
    segment          VARCHAR,
    deal_type        VARCHAR,
    lead_source      VARCHAR,
    product          VARCHAR,
    message_tag      VARCHAR
);

CREATE TABLE IF NOT EXISTS quiz_attempt_versions (
    upload_id     INTEGER NOT NULL,
    attempt_id    VARCHAR NOT NULL,
    row_hash      VARCHAR NOT NULL,
    line_number   INTEGER,
    rep_email     VARCHAR,
    rep_name      VARCHAR,
    module        VARCHAR,
    attempted_at  TIMESTAMP,
    score         DOUBLE,                     -- 0-1, null when ungraded
    passed        BOOLEAN
);

CREATE TABLE IF NOT EXISTS feedback_versions (
    upload_id      INTEGER NOT NULL,
    feedback_id    VARCHAR NOT NULL,
    row_hash       VARCHAR NOT NULL,
    line_number    INTEGER,
    feedback_date  DATE,
    rep_email      VARCHAR,
    rep_name       VARCHAR,
    topic          VARCHAR,
    rating         DOUBLE,
    outcome        VARCHAR,
    notes          VARCHAR
);

CREATE TABLE IF NOT EXISTS message_versions (
    upload_id        INTEGER NOT NULL,
    message_key      VARCHAR NOT NULL,
    row_hash         VARCHAR NOT NULL,
    line_number      INTEGER,
    message_name     VARCHAR,
    launch_date      DATE,
    target_segment   VARCHAR,
    owner            VARCHAR,
    description      VARCHAR,
    adoption_target  DOUBLE,
    target_date      DATE
);

CREATE TABLE IF NOT EXISTS rep_versions (
    upload_id     INTEGER NOT NULL,
    roster_key    VARCHAR NOT NULL,
    row_hash      VARCHAR NOT NULL,
    line_number   INTEGER,
    rep_name      VARCHAR,
    rep_email     VARCHAR,
    crm_user_id   VARCHAR,
    team          VARCHAR,
    region        VARCHAR,
    manager       VARCHAR,
    hire_date     DATE,
    is_roster     BOOLEAN                     -- false for a CRM users file (ids, names, emails only)
);

-- Current, resolved tables (rebuilt after each upload and undo; see analytics/store.py).
CREATE TABLE IF NOT EXISTS reps (
    rep_id     VARCHAR PRIMARY KEY,
    rep_name   VARCHAR,
    rep_email  VARCHAR,
    team       VARCHAR,
    region     VARCHAR,
    manager    VARCHAR,
    hire_date  DATE,
    in_roster  BOOLEAN
);

CREATE TABLE IF NOT EXISTS rep_aliases (
    alias_key  VARCHAR PRIMARY KEY,           -- email:..., name:..., crm:...
    rep_id     VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS messages (
    message_id       VARCHAR PRIMARY KEY,
    message_name     VARCHAR NOT NULL,
    launch_date      DATE,
    target_segment   VARCHAR,
    owner            VARCHAR,
    description      VARCHAR,
    adoption_target  DOUBLE,
    target_date      DATE,
    in_catalog       BOOLEAN
);

CREATE TABLE IF NOT EXISTS message_aliases (
    alias_key   VARCHAR PRIMARY KEY,
    message_id  VARCHAR NOT NULL
);

CREATE TABLE IF NOT EXISTS opportunities (
    opportunity_id   VARCHAR NOT NULL,        -- unique (tested); no index, for bulk-load speed
    opportunity_name VARCHAR,
    account_name     VARCHAR,
    rep_id           VARCHAR,
    owner_name       VARCHAR,                 -- as written in the export (name, else email, else CRM user id)
    owner_email      VARCHAR,
    owner_crm_id     VARCHAR,
    stage            VARCHAR,
    outcome          VARCHAR,
    is_closed        BOOLEAN,
    is_won           BOOLEAN,
    amount           DOUBLE,
    currency         VARCHAR,
    created_date     DATE,
    close_date       DATE,
    segment          VARCHAR,
    deal_type        VARCHAR,
    lead_source      VARCHAR,
    product          VARCHAR,
    message_tag      VARCHAR,
    message_id       VARCHAR,
    upload_id        INTEGER,
    row_hash         VARCHAR                  -- of the version in force, to compare the next export against
);

CREATE TABLE IF NOT EXISTS quiz_attempts (
    attempt_id    VARCHAR NOT NULL,
    rep_id        VARCHAR,
    rep_email     VARCHAR,
    rep_name      VARCHAR,
    message_id    VARCHAR,
    module        VARCHAR,
    attempted_at  TIMESTAMP,
    score         DOUBLE,
    passed        BOOLEAN,
    upload_id     INTEGER,
    row_hash      VARCHAR
);

CREATE TABLE IF NOT EXISTS feedback (
    feedback_id    VARCHAR NOT NULL,
    rep_id         VARCHAR,
    rep_email      VARCHAR,
    rep_name       VARCHAR,
    message_id     VARCHAR,
    topic          VARCHAR,
    feedback_date  DATE,
    rating         DOUBLE,
    outcome        VARCHAR,
    notes          VARCHAR,
    upload_id      INTEGER,
    row_hash       VARCHAR
);

CREATE TABLE IF NOT EXISTS data_version (
    version     INTEGER NOT NULL,
    changed_at  TIMESTAMP NOT NULL
);
