-- One row per quiz attempt in `src` (versions-shaped rows), rep and message resolved.
SELECT q.attempt_id, coalesce(ae.rep_id, an.rep_id) AS rep_id, q.rep_email, q.rep_name, ma.message_id, q.module,
       q.attempted_at, q.score, q.passed, q.upload_id, q.row_hash
FROM src q
LEFT JOIN rep_aliases ae ON ae.alias_key = 'email:' || email_key(q.rep_email)
LEFT JOIN rep_aliases an ON an.alias_key = 'name:' || name_key(q.rep_name)
LEFT JOIN message_aliases ma ON ma.alias_key = text_key(q.module)
