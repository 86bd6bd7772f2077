-- One row per distinct message reference (catalog, quiz module, feedback topic, CRM tag) with its first date.
SELECT 'catalog' AS source, message_name AS name, launch_date AS first_seen FROM latest_messages()
UNION ALL
SELECT 'quiz', module, min(attempted_at)::DATE FROM latest_quiz_attempts() WHERE module IS NOT NULL GROUP BY module
UNION ALL
SELECT 'feedback', topic, min(feedback_date) FROM latest_feedback() WHERE topic IS NOT NULL GROUP BY topic
UNION ALL
SELECT 'crm', message_tag, min(close_date) FROM latest_opportunities() WHERE message_tag IS NOT NULL GROUP BY message_tag
