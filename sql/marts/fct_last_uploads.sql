-- One row per kind of upload: the latest active upload of that kind, and the latest date in the data it feeds.
WITH kinds(kind, label, sort) AS (
    VALUES ('crm', 'CRM opportunities', 1), ('quiz', 'Quiz results', 2), ('feedback', 'Field feedback', 3),
           ('messages', 'Message catalog', 4), ('reps', 'Rep roster', 5)
), last_upload AS (
    SELECT CASE WHEN kind = 'crm_users' THEN 'crm' ELSE kind END AS kind,
           arg_max(upload_id, uploaded_at) AS upload_id, max(uploaded_at) AS last_uploaded_at,
           count(*) AS n_uploads
    FROM uploads WHERE status = 'active' GROUP BY 1
), last_data AS (
    SELECT 'crm' AS kind, max(greatest(close_date, created_date)) AS last_record_date FROM opportunities
    UNION ALL SELECT 'quiz', max(attempted_at)::DATE FROM quiz_attempts
    UNION ALL SELECT 'feedback', max(feedback_date) FROM feedback
    UNION ALL SELECT 'messages', max(launch_date) FROM messages WHERE in_catalog
    UNION ALL SELECT 'reps', max(hire_date) FROM reps WHERE in_roster
)
SELECT k.kind, k.label, l.last_uploaded_at, u.file_name AS last_file, u.uploaded_by AS last_uploaded_by,
       coalesce(l.n_uploads, 0) AS n_uploads, d.last_record_date
FROM kinds k
LEFT JOIN last_upload l USING (kind)
LEFT JOIN uploads u ON u.upload_id = l.upload_id
LEFT JOIN last_data d USING (kind)
ORDER BY k.sort
