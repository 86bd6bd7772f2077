-- Version 8: change-detection hashes as integers. A version's row_hash (DuckDB's 64-bit hash() of its typed values,
-- in the kind's column order) and source_key (hash() of the kind, headers and raw values) become UBIGINT on every
-- versions and current table but the activity kind's (whose hashes stay text): integers cost a tenth of the text
-- to compress and compare on each upload's writes. A version that ends a record (its source row moved to another
-- key) now has no row_hash (NULL), where it had the text 'retired'. Hashes stored as decimal text convert exactly;
-- the older md5 hashes (32 hex digits) are recomputed from the version's own typed values, as staging computes them.
-- Add, fill, drop, rename: DuckLake cannot change a VARCHAR column's type in place.

ALTER TABLE opportunity_versions ADD COLUMN row_hash_int UBIGINT;
ALTER TABLE opportunity_versions ADD COLUMN source_key_int UBIGINT;
UPDATE opportunity_versions SET source_key_int = TRY_CAST(source_key AS UBIGINT),
    row_hash_int = CASE WHEN row_hash IS DISTINCT FROM 'retired' THEN coalesce(TRY_CAST(row_hash AS UBIGINT),
        hash(opportunity_name, account_name, owner_name, owner_email, owner_crm_id, stage, outcome, amount, currency,
             created_date, close_date, segment, deal_type, lead_source, product, message_tag)) END;
ALTER TABLE opportunity_versions DROP COLUMN row_hash;
ALTER TABLE opportunity_versions DROP COLUMN source_key;
ALTER TABLE opportunity_versions RENAME COLUMN row_hash_int TO row_hash;
ALTER TABLE opportunity_versions RENAME COLUMN source_key_int TO source_key;

ALTER TABLE opportunities ADD COLUMN row_hash_int UBIGINT;
ALTER TABLE opportunities ADD COLUMN source_key_int UBIGINT;
UPDATE opportunities SET source_key_int = TRY_CAST(source_key AS UBIGINT),
    row_hash_int = CASE WHEN row_hash IS DISTINCT FROM 'retired' THEN coalesce(TRY_CAST(row_hash AS UBIGINT),
        hash(opportunity_name, account_name, owner_name, owner_email, owner_crm_id, stage, outcome, amount, currency,
             created_date, close_date, segment, deal_type, lead_source, product, message_tag)) END;
ALTER TABLE opportunities DROP COLUMN row_hash;
ALTER TABLE opportunities DROP COLUMN source_key;
ALTER TABLE opportunities RENAME COLUMN row_hash_int TO row_hash;
ALTER TABLE opportunities RENAME COLUMN source_key_int TO source_key;

ALTER TABLE quiz_attempt_versions ADD COLUMN row_hash_int UBIGINT;
ALTER TABLE quiz_attempt_versions ADD COLUMN source_key_int UBIGINT;
UPDATE quiz_attempt_versions SET source_key_int = TRY_CAST(source_key AS UBIGINT),
    row_hash_int = CASE WHEN row_hash IS DISTINCT FROM 'retired' THEN coalesce(TRY_CAST(row_hash AS UBIGINT),
        hash(rep_email, rep_name, module, attempted_at, score, passed)) END;
ALTER TABLE quiz_attempt_versions DROP COLUMN row_hash;
ALTER TABLE quiz_attempt_versions DROP COLUMN source_key;
ALTER TABLE quiz_attempt_versions RENAME COLUMN row_hash_int TO row_hash;
ALTER TABLE quiz_attempt_versions RENAME COLUMN source_key_int TO source_key;

ALTER TABLE quiz_attempts ADD COLUMN row_hash_int UBIGINT;
ALTER TABLE quiz_attempts ADD COLUMN source_key_int UBIGINT;
UPDATE quiz_attempts SET source_key_int = TRY_CAST(source_key AS UBIGINT),
    row_hash_int = CASE WHEN row_hash IS DISTINCT FROM 'retired' THEN coalesce(TRY_CAST(row_hash AS UBIGINT),
        hash(rep_email, rep_name, module, attempted_at, score, passed)) END;
ALTER TABLE quiz_attempts DROP COLUMN row_hash;
ALTER TABLE quiz_attempts DROP COLUMN source_key;
ALTER TABLE quiz_attempts RENAME COLUMN row_hash_int TO row_hash;
ALTER TABLE quiz_attempts RENAME COLUMN source_key_int TO source_key;

ALTER TABLE feedback_versions ADD COLUMN row_hash_int UBIGINT;
ALTER TABLE feedback_versions ADD COLUMN source_key_int UBIGINT;
UPDATE feedback_versions SET source_key_int = TRY_CAST(source_key AS UBIGINT),
    row_hash_int = CASE WHEN row_hash IS DISTINCT FROM 'retired' THEN coalesce(TRY_CAST(row_hash AS UBIGINT),
        hash(feedback_date, rep_email, rep_name, topic, rating, outcome, notes)) END;
ALTER TABLE feedback_versions DROP COLUMN row_hash;
ALTER TABLE feedback_versions DROP COLUMN source_key;
ALTER TABLE feedback_versions RENAME COLUMN row_hash_int TO row_hash;
ALTER TABLE feedback_versions RENAME COLUMN source_key_int TO source_key;

ALTER TABLE feedback ADD COLUMN row_hash_int UBIGINT;
ALTER TABLE feedback ADD COLUMN source_key_int UBIGINT;
UPDATE feedback SET source_key_int = TRY_CAST(source_key AS UBIGINT),
    row_hash_int = CASE WHEN row_hash IS DISTINCT FROM 'retired' THEN coalesce(TRY_CAST(row_hash AS UBIGINT),
        hash(feedback_date, rep_email, rep_name, topic, rating, outcome, notes)) END;
ALTER TABLE feedback DROP COLUMN row_hash;
ALTER TABLE feedback DROP COLUMN source_key;
ALTER TABLE feedback RENAME COLUMN row_hash_int TO row_hash;
ALTER TABLE feedback RENAME COLUMN source_key_int TO source_key;

ALTER TABLE message_versions ADD COLUMN row_hash_int UBIGINT;
ALTER TABLE message_versions ADD COLUMN source_key_int UBIGINT;
UPDATE message_versions SET source_key_int = TRY_CAST(source_key AS UBIGINT),
    row_hash_int = CASE WHEN row_hash IS DISTINCT FROM 'retired' THEN coalesce(TRY_CAST(row_hash AS UBIGINT),
        hash(message_name, launch_date, target_segment, owner, description, adoption_target, target_date,
             key_phrases)) END;
ALTER TABLE message_versions DROP COLUMN row_hash;
ALTER TABLE message_versions DROP COLUMN source_key;
ALTER TABLE message_versions RENAME COLUMN row_hash_int TO row_hash;
ALTER TABLE message_versions RENAME COLUMN source_key_int TO source_key;

ALTER TABLE rep_versions ADD COLUMN row_hash_int UBIGINT;
ALTER TABLE rep_versions ADD COLUMN source_key_int UBIGINT;
UPDATE rep_versions SET source_key_int = TRY_CAST(source_key AS UBIGINT),
    row_hash_int = CASE WHEN row_hash IS DISTINCT FROM 'retired' THEN coalesce(TRY_CAST(row_hash AS UBIGINT),
        hash(rep_name, rep_email, crm_user_id, team, region, manager, hire_date, is_roster)) END;
ALTER TABLE rep_versions DROP COLUMN row_hash;
ALTER TABLE rep_versions DROP COLUMN source_key;
ALTER TABLE rep_versions RENAME COLUMN row_hash_int TO row_hash;
ALTER TABLE rep_versions RENAME COLUMN source_key_int TO source_key;
