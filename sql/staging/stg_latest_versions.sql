-- One row per record key per raw kind: the latest version among active uploads, unless that version retired the
-- record (its source row moved to another key after a corrected mapping): no row_hash, or 'retired' where hashes
-- are text (activities). Macros, used by sql/build/*.
CREATE OR REPLACE TEMP MACRO latest_opportunities() AS TABLE
    SELECT * FROM (SELECT * FROM opportunity_versions QUALIFY row_number() OVER (PARTITION BY opportunity_id ORDER BY upload_id DESC) = 1) WHERE row_hash IS NOT NULL;
CREATE OR REPLACE TEMP MACRO latest_quiz_attempts() AS TABLE
    SELECT * FROM (SELECT * FROM quiz_attempt_versions QUALIFY row_number() OVER (PARTITION BY attempt_id ORDER BY upload_id DESC) = 1) WHERE row_hash IS NOT NULL;
CREATE OR REPLACE TEMP MACRO latest_feedback() AS TABLE
    SELECT * FROM (SELECT * FROM feedback_versions QUALIFY row_number() OVER (PARTITION BY feedback_id ORDER BY upload_id DESC) = 1) WHERE row_hash IS NOT NULL;
CREATE OR REPLACE TEMP MACRO latest_messages() AS TABLE
    SELECT * FROM (SELECT * FROM message_versions QUALIFY row_number() OVER (PARTITION BY message_key ORDER BY upload_id DESC) = 1) WHERE row_hash IS NOT NULL;
CREATE OR REPLACE TEMP MACRO latest_reps() AS TABLE
    SELECT * FROM (SELECT * FROM rep_versions QUALIFY row_number() OVER (PARTITION BY roster_key ORDER BY upload_id DESC) = 1) WHERE row_hash IS NOT NULL;
CREATE OR REPLACE TEMP MACRO latest_activities() AS TABLE
    SELECT * FROM (SELECT * FROM activity_versions QUALIFY row_number() OVER (PARTITION BY activity_id ORDER BY upload_id DESC) = 1) WHERE row_hash <> 'retired';
