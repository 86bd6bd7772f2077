-- One row per feedback entry in `src` (versions-shaped rows), rep and message resolved.
SELECT f.feedback_id, coalesce(ae.rep_id, an.rep_id) AS rep_id, f.rep_email, f.rep_name, ma.message_id, f.topic,
       f.feedback_date, f.rating, f.outcome, f.notes, f.upload_id, f.row_hash
FROM src f
LEFT JOIN rep_aliases ae ON ae.alias_key = 'email:' || email_key(f.rep_email)
LEFT JOIN rep_aliases an ON an.alias_key = 'name:' || name_key(f.rep_name)
LEFT JOIN message_aliases ma ON ma.alias_key = text_key(f.topic)
