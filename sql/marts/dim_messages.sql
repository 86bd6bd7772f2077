-- One row per message, ordered by launch; a message without a launch date counts as launched at its first attempt.
SELECT m.message_id, m.message_name,
       {{ macros/launch_date.sql }} AS launch_date,
       m.target_segment, m.owner, m.description, m.adoption_target, m.target_date, m.in_catalog
FROM messages m
ORDER BY launch_date NULLS LAST, m.message_id
