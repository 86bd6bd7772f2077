-- One row per feedback entry in `src` (versions-shaped rows), rep and message resolved once per distinct value.
WITH people AS (
    SELECT p.rep_email, p.rep_name, coalesce(ae.rep_id, an.rep_id) AS rep_id
    FROM (SELECT DISTINCT rep_email, rep_name FROM src) p
    LEFT JOIN rep_aliases ae ON ae.alias_key = 'email:' || email_key(p.rep_email)
    LEFT JOIN rep_aliases an ON an.alias_key = 'name:' || name_key(p.rep_name)
), topics AS (
    SELECT t.topic, ma.message_id
    FROM (SELECT DISTINCT topic FROM src WHERE topic IS NOT NULL) t
    LEFT JOIN message_aliases ma ON ma.alias_key = text_key(t.topic)
)
SELECT f.feedback_id, p.rep_id, f.rep_email, f.rep_name, t.message_id, f.topic,
       f.feedback_date, f.rating, f.outcome, f.notes, f.upload_id, f.row_hash, f.source_key
FROM src f
LEFT JOIN people p ON p.rep_email IS NOT DISTINCT FROM f.rep_email AND p.rep_name IS NOT DISTINCT FROM f.rep_name
LEFT JOIN topics t ON t.topic = f.topic
