-- Version 4: each version remembers the source row it came from (kind, headers and raw values, hashed), so a file
-- uploaded again with a corrected column mapping updates its records in place instead of adding them again.
-- A version whose row_hash is 'retired' ends a record: the same source row now lives under another record key.
ALTER TABLE opportunity_versions ADD COLUMN IF NOT EXISTS source_key VARCHAR;
ALTER TABLE quiz_attempt_versions ADD COLUMN IF NOT EXISTS source_key VARCHAR;
ALTER TABLE feedback_versions ADD COLUMN IF NOT EXISTS source_key VARCHAR;
ALTER TABLE message_versions ADD COLUMN IF NOT EXISTS source_key VARCHAR;
ALTER TABLE rep_versions ADD COLUMN IF NOT EXISTS source_key VARCHAR;
ALTER TABLE opportunities ADD COLUMN IF NOT EXISTS source_key VARCHAR;
ALTER TABLE quiz_attempts ADD COLUMN IF NOT EXISTS source_key VARCHAR;
ALTER TABLE feedback ADD COLUMN IF NOT EXISTS source_key VARCHAR;
