-- One row per quiz attempt of rep $rep_id up to $as_of (NULL = all), with the message name; nothing when the rep is
-- outside the shared sidebar filters or the reps a manager may see ($rep_ids).
SELECT q.attempt_id, q.rep_id, q.message_id, m.message_name, q.module, q.attempted_at, q.score, q.passed
FROM quiz_attempts q
JOIN reps r ON r.rep_id = q.rep_id
LEFT JOIN messages m ON m.message_id = q.message_id
WHERE q.rep_id = $rep_id
  AND ($as_of IS NULL OR q.attempted_at::DATE <= $as_of::DATE)
  AND (coalesce(len($messages::VARCHAR[]), 0) = 0 OR q.message_id IN (SELECT unnest($messages::VARCHAR[])))
  AND {{ macros/rep_scope.sql }}
ORDER BY q.attempted_at, q.attempt_id
