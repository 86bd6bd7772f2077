-- Version 3: column mappings ops settled once (--map or the Data page), reused for the next export of the same shape.
-- One row per kind and header fingerprint; deleting a row is all it takes to go back to inference.
CREATE TABLE IF NOT EXISTS column_mappings (
    mapping_id    INTEGER PRIMARY KEY,
    kind          VARCHAR NOT NULL,
    fingerprint   VARCHAR NOT NULL,             -- sha256 of the file's folded headers, in order
    headers_json  VARCHAR NOT NULL,             -- the headers as written, to show which files it applies to
    columns_json  VARCHAR NOT NULL,             -- field -> header
    created_by    VARCHAR,
    created_at    TIMESTAMP NOT NULL,
    last_used_at  TIMESTAMP,
    n_used        INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, fingerprint)
);
