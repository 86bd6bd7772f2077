-- One row per rep and message: every rep in reps crossed with every message in messages.
SELECT r.rep_id, r.rep_email, r.rep_name, r.team, r.manager, m.message_id, m.message_name
FROM reps AS r
CROSS JOIN messages AS m
ORDER BY r.team NULLS LAST, r.rep_name, r.rep_id, m.message_name, m.message_id
