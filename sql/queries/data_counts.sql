-- One row: how much data a report as of $as_of rests on (rows dated after $as_of are left out).
-- unmatched_owners: distinct CRM owner names whose deals have no rep, or a rep who is not on the roster.
SELECT
    (SELECT count(*) FROM opportunities
     WHERE $as_of IS NULL OR created_date IS NULL OR created_date <= $as_of::DATE) AS opportunities,
    (SELECT count(*) FROM opportunities
     WHERE outcome IN ('won', 'lost') AND close_date IS NOT NULL
       AND ($as_of IS NULL OR close_date <= $as_of::DATE)) AS closed_deals,
    (SELECT count(*) FROM reps r
     WHERE r.in_roster
        OR EXISTS (SELECT 1 FROM opportunities o WHERE o.rep_id = r.rep_id)
        OR EXISTS (SELECT 1 FROM quiz_attempts q WHERE q.rep_id = r.rep_id)) AS reps,
    (SELECT count(*) FROM quiz_attempts
     WHERE $as_of IS NULL OR attempted_at IS NULL OR attempted_at::DATE <= $as_of::DATE) AS quiz_attempts,
    (SELECT count(*) FROM feedback
     WHERE $as_of IS NULL OR feedback_date IS NULL OR feedback_date <= $as_of::DATE) AS feedback,
    (SELECT count(DISTINCT name_key(o.owner_name)) FROM opportunities o LEFT JOIN reps r ON r.rep_id = o.rep_id
     WHERE (o.rep_id IS NULL OR NOT coalesce(r.in_roster, false)) AND o.owner_name IS NOT NULL
       AND ($as_of IS NULL OR o.created_date IS NULL OR o.created_date <= $as_of::DATE)) AS unmatched_owners
