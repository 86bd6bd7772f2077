-- One row per quiz attempt in `src` (versions-shaped rows), rep and message resolved once per distinct value.
WITH people AS (
    SELECT p.rep_email, p.rep_name, coalesce(ae.rep_id, an.rep_id) AS rep_id
    FROM (SELECT DISTINCT rep_email, rep_name FROM src) p
    LEFT JOIN rep_aliases ae ON ae.alias_key = 'email:' || email_key(p.rep_email)
    LEFT JOIN rep_aliases an ON an.alias_key = 'name:' || name_key(p.rep_name)
), modules AS (
    SELECT m.module, ma.message_id
    FROM (SELECT DISTINCT module FROM src WHERE module IS NOT NULL) m
    LEFT JOIN message_aliases ma ON ma.alias_key = text_key(m.module)
)
SELECT q.attempt_id, p.rep_id, q.rep_email, q.rep_name, m.message_id, q.module,
       q.attempted_at, q.score, q.passed, q.upload_id, q.row_hash, q.source_key
FROM src q
LEFT JOIN people p ON p.rep_email IS NOT DISTINCT FROM q.rep_email AND p.rep_name IS NOT DISTINCT FROM q.rep_name
LEFT JOIN modules m ON m.module = q.module
