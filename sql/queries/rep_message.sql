-- One row per rep x message: scope, first attempt and certification (first passed attempt), as of $as_of.
-- Reps considered: on the roster, or owning an opportunity, or with a quiz attempt.
-- A rep is in scope of a message when the message has no target segment, or the rep owns at least one
-- opportunity in that segment; in_scope_since is the first close date from which that holds (NULL: at every date, or
-- never when not in scope), so scope on an earlier date d is is_in_scope AND (in_scope_since IS NULL OR <= d).
-- Filters (bound; an empty list = no filter): the rep scope of macros/rep_scope.sql ($teams, $regions, $managers,
-- $rep_ids), reps owning an opportunity in one of $segments, and only the messages in $messages.
WITH attempts AS (
    SELECT rep_id, message_id, attempted_at, passed
    FROM quiz_attempts
    WHERE message_id IS NOT NULL
      AND ($as_of IS NULL OR attempted_at::DATE <= $as_of::DATE)
),
launches AS (
    SELECT m.message_id, m.message_name, m.target_segment, m.adoption_target, m.target_date, m.launch_date
    FROM ({{ marts/dim_messages.sql }}) AS m
    WHERE coalesce(len($messages::VARCHAR[]), 0) = 0 OR m.message_id IN (SELECT unnest($messages::VARCHAR[]))
),
active_reps AS (
    SELECT r.rep_id, r.rep_name, r.team, r.region, r.manager, r.in_roster
    FROM reps r
    WHERE (r.in_roster
           OR EXISTS (SELECT 1 FROM opportunities o WHERE o.rep_id = r.rep_id)
           OR EXISTS (SELECT 1 FROM attempts a WHERE a.rep_id = r.rep_id))
      AND {{ macros/rep_scope.sql }}
      AND (coalesce(len($segments::VARCHAR[]), 0) = 0 OR EXISTS (
            SELECT 1 FROM opportunities o WHERE o.rep_id = r.rep_id AND {{ macros/segment_in.sql }}))
),
rep_segments AS (
    -- since: the first close date from which the rep sells to the segment (NULL: an open or undated deal, at any date)
    SELECT rep_id, lower(trim(segment)) AS segment_key,
           CASE WHEN bool_or(close_date IS NULL OR NOT is_closed) THEN NULL ELSE min(close_date) END AS since
    FROM opportunities
    WHERE rep_id IS NOT NULL AND segment IS NOT NULL
      AND rep_id IN (SELECT rep_id FROM active_reps)         -- a team filter groups only its reps' deals
      AND ($as_of IS NULL OR close_date IS NULL OR NOT is_closed OR close_date <= $as_of::DATE)
    GROUP BY rep_id, lower(trim(segment))
),
per_rep AS (
    SELECT rep_id, message_id,
           count(*) AS n_attempts,
           min(attempted_at) AS first_attempt_at,
           min(attempted_at) FILTER (WHERE passed) AS certified_at
    FROM attempts
    WHERE rep_id IS NOT NULL
    GROUP BY rep_id, message_id
)
SELECT
    r.rep_id, r.rep_name, r.team, r.region, r.manager, r.in_roster,
    l.message_id, l.message_name, l.launch_date, l.target_segment, l.adoption_target, l.target_date,
    (l.target_segment IS NULL OR s.rep_id IS NOT NULL) AS is_in_scope,
    s.since AS in_scope_since,
    coalesce(p.n_attempts, 0) AS n_attempts,
    p.first_attempt_at,
    p.certified_at,
    p.certified_at IS NOT NULL AS is_certified,
    -- certification before launch (a pilot) counts as day 0
    CASE WHEN p.certified_at IS NOT NULL
         THEN greatest(0, date_diff('day', l.launch_date, p.certified_at::DATE)) END AS days_to_certify,
    coalesce(p.certified_at::DATE <= l.launch_date + INTERVAL 30 DAY, false) AS is_certified_30d
FROM active_reps r
CROSS JOIN launches l
LEFT JOIN rep_segments s ON s.rep_id = r.rep_id AND s.segment_key = lower(trim(l.target_segment))
LEFT JOIN per_rep p ON p.rep_id = r.rep_id AND p.message_id = l.message_id
ORDER BY l.launch_date NULLS LAST, l.message_id, r.rep_id
