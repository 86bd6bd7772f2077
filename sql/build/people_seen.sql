-- One row per distinct person reference in any upload: the keys it carries and where it came from.
SELECT 'roster' AS source, email_key(rep_email) AS email, name_key(rep_name) AS name, crm_user_id AS crm,
       rep_name AS display, team, region, manager, hire_date, upload_id
FROM latest_reps() WHERE is_roster
UNION ALL
SELECT 'crm_users', email_key(rep_email), name_key(rep_name), crm_user_id, rep_name,
       NULL, NULL, NULL, NULL, upload_id
FROM latest_reps() WHERE NOT is_roster
UNION ALL
SELECT DISTINCT 'crm', email_key(owner_email), name_key(owner_name), owner_crm_id, owner_name,
       NULL, NULL, NULL, NULL::DATE, NULL::INTEGER
FROM latest_opportunities()
UNION ALL
SELECT DISTINCT 'quiz', email_key(rep_email), name_key(rep_name), NULL, rep_name, NULL, NULL, NULL, NULL::DATE, NULL::INTEGER
FROM latest_quiz_attempts()
UNION ALL
SELECT DISTINCT 'feedback', email_key(rep_email), name_key(rep_name), NULL, rep_name, NULL, NULL, NULL, NULL::DATE,
       NULL::INTEGER
FROM latest_feedback()
