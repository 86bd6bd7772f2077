-- One row per graded quiz attempt of a known rep and message: the input of the retention model.
SELECT attempt_id, rep_id, message_id, attempted_at, score, passed
FROM quiz_attempts
WHERE score IS NOT NULL
  AND rep_id IS NOT NULL
  AND message_id IS NOT NULL
  AND attempted_at IS NOT NULL
ORDER BY attempted_at, attempt_id
