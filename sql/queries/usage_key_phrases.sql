-- One row per catalog message in launch order: the trackers' key phrases in force and where they come from
-- (catalog | edit; NULL: none).
SELECT m.message_id, m.message_name, m.key_phrases, m.key_phrases_source
FROM messages m
WHERE m.in_catalog
ORDER BY m.launch_date NULLS LAST, m.message_id
