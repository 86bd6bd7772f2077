-- One row per graded attempt of queries/practice_history.sql ($pass_mark), only the columns pair states read, in
-- time then attempt_id order (fewer columns: a faster fetch).
SELECT rep_id, message_id, attempted_at, score, is_success, n_prior_attempts, n_prior_successes, n_prior_failures,
       days_since_last_practice
FROM ({{ queries/practice_history.sql }}) AS history
ORDER BY attempted_at, attempt_id
