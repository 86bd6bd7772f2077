-- One row per kind of data: how many records are loaded, their date range and the last upload of that kind.
WITH last_upload AS (
    SELECT CASE WHEN kind = 'crm_users' THEN 'reps' ELSE kind END AS kind,
           max(uploaded_at) AS last_uploaded_at, count(*) AS n_uploads
    FROM uploads WHERE status = 'active' GROUP BY 1
)
SELECT k.kind, k.label, k.n_records, k.first_date, k.last_date, u.last_uploaded_at, coalesce(u.n_uploads, 0) AS n_uploads
FROM (
    SELECT 'crm' AS kind, 'Opportunities' AS label, count(*) AS n_records,
           min(coalesce(close_date, created_date)) AS first_date, max(coalesce(close_date, created_date)) AS last_date
    FROM opportunities
    UNION ALL
    SELECT 'quiz', 'Quiz attempts', count(*), min(attempted_at)::DATE, max(attempted_at)::DATE FROM quiz_attempts
    UNION ALL
    SELECT 'feedback', 'Feedback notes', count(*), min(feedback_date), max(feedback_date) FROM feedback
    UNION ALL
    SELECT 'messages', 'Messages', count(*), min(launch_date), max(launch_date) FROM messages
    UNION ALL
    SELECT 'reps', 'Reps', count(*), min(hire_date), max(hire_date) FROM reps
) k
LEFT JOIN last_upload u USING (kind)
ORDER BY CASE k.kind WHEN 'crm' THEN 1 WHEN 'quiz' THEN 2 WHEN 'feedback' THEN 3 WHEN 'messages' THEN 4 ELSE 5 END
