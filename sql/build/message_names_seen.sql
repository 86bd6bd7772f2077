-- One row per distinct message reference (catalog, quiz module, feedback topic, CRM tag) with its first date.
SELECT 'catalog' AS source, message_name AS name, launch_date AS first_seen FROM latest_messages()
UNION ALL
SELECT 'quiz', message, min(seen_date) FROM quiz_attempts_seen WHERE message IS NOT NULL GROUP BY message
UNION ALL
SELECT 'feedback', message, min(seen_date) FROM feedback_seen WHERE message IS NOT NULL GROUP BY message
UNION ALL
SELECT 'crm', message, min(seen_date) FROM opportunities_seen WHERE message IS NOT NULL GROUP BY message
