-- One row per team: its reps (on the roster or with feedback), how many of them sent feedback dated in
-- [$start, $end], and how many entries; shared sidebar filters applied to the reps (team, region, manager,
-- visible reps) and to the feedback ($messages). Reps without a team are grouped as NULL.
WITH sent AS (
    SELECT f.rep_id, count(*) AS n_feedback
    FROM feedback f
    WHERE f.rep_id IS NOT NULL
      AND ($start IS NULL OR f.feedback_date >= $start::DATE)
      AND ($end IS NULL OR f.feedback_date <= $end::DATE)
      AND (coalesce(len($messages::VARCHAR[]), 0) = 0 OR f.message_id IN (SELECT unnest($messages::VARCHAR[])))
    GROUP BY f.rep_id
)
SELECT r.team,
       count(*) AS n_reps,
       count(s.rep_id) AS n_reps_sending,
       coalesce(sum(s.n_feedback), 0)::BIGINT AS n_feedback
FROM reps r
LEFT JOIN sent s ON s.rep_id = r.rep_id
WHERE (r.in_roster OR s.rep_id IS NOT NULL)
  AND {{ macros/rep_scope.sql }}
GROUP BY r.team
ORDER BY r.team NULLS LAST
