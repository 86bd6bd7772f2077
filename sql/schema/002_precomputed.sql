-- Version 2: results the pages need for the default view, computed once per upload (analytics/precompute.py).
-- One row per function and argument set; a row counts only while its data_version is the current one, so an
-- upload or undo (which bumps data_version) invalidates every stored result without deleting it.
CREATE TABLE IF NOT EXISTS precomputed (
    name          VARCHAR NOT NULL,            -- module.function of the stored result
    args_key      VARCHAR NOT NULL,            -- sha256 of the function's canonical (normalized) arguments
    data_version  INTEGER NOT NULL,
    computed_at   TIMESTAMP NOT NULL,
    seconds       DOUBLE,                      -- how long the computation took
    payload       VARCHAR NOT NULL             -- the result, encoded by analytics.precompute.encode
);
