-- One row per distinct person reference in the roster, CRM users, opportunities, quiz attempts, feedback and
-- activities.
SELECT 'roster' AS source, email_key(rep_email) AS email, name_key(rep_name) AS name, crm_user_id AS crm,
       rep_name AS display, team, region, manager, hire_date, upload_id
FROM latest_reps() WHERE is_roster
UNION ALL
SELECT 'crm_users', email_key(rep_email), name_key(rep_name), crm_user_id, rep_name, NULL, NULL, NULL, NULL, upload_id
FROM latest_reps() WHERE NOT is_roster
UNION ALL
SELECT source, email_key(email), name_key(name), crm, name, NULL, NULL, NULL, NULL::DATE, NULL::INTEGER
FROM (SELECT DISTINCT 'crm' AS source, email, name, crm FROM opportunities_seen
      UNION SELECT DISTINCT 'quiz', email, name, crm FROM quiz_attempts_seen
      UNION SELECT DISTINCT 'feedback', email, name, crm FROM feedback_seen
      UNION SELECT DISTINCT 'activity', email, name, crm FROM activities_seen)
