-- Version 5: one row per refresh of the precomputed default view (analytics/refresh_worker.py), so every replica's
-- Data page can tell whether the view matches the data, is being refreshed, or failed (and why).
CREATE TABLE IF NOT EXISTS refresh_runs (
    data_version  INTEGER NOT NULL,            -- the data the refresh computed from
    state         VARCHAR NOT NULL,            -- running | done | failed
    started_at    TIMESTAMP NOT NULL,
    finished_at   TIMESTAMP,
    detail        VARCHAR,                     -- JSON: seconds per step, or the failed steps' messages
    host          VARCHAR                      -- the machine that ran it
);
