-- One row per graded quiz attempt of a known rep and message, with practice features from strictly earlier attempts only.
-- Attempts of a pair are ordered by time, then attempt_id; rep-level figures use attempts strictly earlier in time.
WITH graded AS (
    SELECT attempt_id, rep_id, message_id, attempted_at, score, passed,
           score >= $pass_mark AS is_success
    FROM quiz_attempts
    WHERE score IS NOT NULL
      AND rep_id IS NOT NULL
      AND message_id IS NOT NULL
      AND attempted_at IS NOT NULL
),
windowed AS (
    SELECT *,
           row_number() OVER pair_history - 1                       AS n_prior_attempts,
           coalesce(sum(is_success::INTEGER) OVER (pair_history ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::BIGINT
                                                                     AS n_prior_successes,
           lag(score) OVER pair_history                              AS last_score,
           lag(attempted_at) OVER pair_history                       AS last_practiced_at,
           lag(attempted_at, 2) OVER pair_history                    AS previous_practiced_at,
           -- Everything the rep did up to this moment, minus what they did at this very moment.
           count(*) OVER rep_until_now - count(*) OVER rep_this_moment         AS rep_n_prior_attempts,
           sum(score) OVER rep_until_now - sum(score) OVER rep_this_moment     AS rep_score_sum_prior
    FROM graded
    WINDOW pair_history AS (PARTITION BY rep_id, message_id ORDER BY attempted_at, attempt_id),
           rep_until_now AS (PARTITION BY rep_id ORDER BY attempted_at
                             RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW),
           rep_this_moment AS (PARTITION BY rep_id, attempted_at)
)
SELECT attempt_id, rep_id, message_id, attempted_at, score, passed, is_success,
       n_prior_attempts,
       n_prior_successes,
       n_prior_attempts - n_prior_successes                          AS n_prior_failures,
       last_score,
       last_practiced_at,
       epoch(attempted_at - last_practiced_at) / 86400.0             AS days_since_last_practice,
       epoch(last_practiced_at - previous_practiced_at) / 86400.0    AS days_between_prior_practices,
       rep_n_prior_attempts,
       greatest(rep_score_sum_prior, 0.0)                            AS rep_score_sum_prior
FROM windowed
ORDER BY attempted_at, attempt_id
