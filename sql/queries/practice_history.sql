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
-- The rep's attempts strictly earlier in time, summed per moment in attempt_id order and then moment by moment,
-- so the sums (and the model fitted on them) are the same on every run, whatever the threads.
moments AS (
    SELECT rep_id, attempted_at, count(*) AS n_at_moment, sum(score ORDER BY attempt_id) AS score_at_moment
    FROM graded
    GROUP BY rep_id, attempted_at
),
rep_prior AS (
    SELECT rep_id, attempted_at,
           coalesce(sum(n_at_moment) OVER earlier, 0)::BIGINT        AS rep_n_prior_attempts,
           coalesce(sum(score_at_moment) OVER earlier, 0.0)           AS rep_score_sum_prior
    FROM moments
    WINDOW earlier AS (PARTITION BY rep_id ORDER BY attempted_at ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
),
windowed AS (
    SELECT g.*,
           row_number() OVER pair_history - 1                       AS n_prior_attempts,
           coalesce(sum(g.is_success::INTEGER) OVER (pair_history ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0)::BIGINT
                                                                     AS n_prior_successes,
           lag(g.score) OVER pair_history                            AS last_score,
           lag(g.attempted_at) OVER pair_history                     AS last_practiced_at,
           lag(g.attempted_at, 2) OVER pair_history                  AS previous_practiced_at,
           p.rep_n_prior_attempts,
           p.rep_score_sum_prior
    FROM graded g
    JOIN rep_prior p ON p.rep_id = g.rep_id AND p.attempted_at = g.attempted_at
    WINDOW pair_history AS (PARTITION BY g.rep_id, g.message_id ORDER BY g.attempted_at, g.attempt_id)
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
