-- One row per message named in quizzes, feedback or CRM tags that is not in the message catalog.
SELECT * FROM (
    SELECT m.message_id, m.message_name, m.launch_date AS first_seen,
           (SELECT count(*) FROM quiz_attempts q WHERE q.message_id = m.message_id) AS n_attempts,
           (SELECT count(*) FROM feedback f WHERE f.message_id = m.message_id) AS n_feedback,
           (SELECT count(*) FROM opportunities o WHERE o.message_id = m.message_id) AS n_deals
    FROM messages m
    WHERE NOT coalesce(m.in_catalog, false)
)
ORDER BY n_attempts + n_feedback + n_deals DESC, message_name
