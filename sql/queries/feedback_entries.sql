-- One row per feedback entry dated in [$start, $end] (NULL = open) and known by $as_of (an undated entry always is),
-- for the shared sidebar filters: the rep scope of macros/rep_scope.sql and $messages. Entries of unmatched reps count
-- only while no rep filter is set; entries without a message only while no message filter is set.
SELECT f.feedback_id, f.message_id, m.message_name, f.rep_id, r.rep_name, r.team, r.region, r.manager, f.topic,
       f.feedback_date, f.rating, f.outcome, f.notes
FROM feedback f
LEFT JOIN reps r ON r.rep_id = f.rep_id
LEFT JOIN messages m ON m.message_id = f.message_id
WHERE ($as_of IS NULL OR f.feedback_date IS NULL OR f.feedback_date <= $as_of::DATE)
  AND ($start IS NULL OR f.feedback_date >= $start::DATE)
  AND ($end IS NULL OR f.feedback_date <= $end::DATE)
  AND (coalesce(len($messages::VARCHAR[]), 0) = 0 OR f.message_id IN (SELECT unnest($messages::VARCHAR[])))
  AND {{ macros/rep_scope.sql }}
ORDER BY f.feedback_date, f.feedback_id
