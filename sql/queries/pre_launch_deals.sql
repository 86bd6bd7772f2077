-- One row per message and rep with closed deals before the message's launch (queries/closed_deals.sql filters):
-- how many and how many won, for $message_id (NULL = every message).
SELECT m.message_id, d.rep_id, count(*) AS pre_deals, sum(d.is_won::INTEGER)::BIGINT AS pre_won
FROM ({{ queries/closed_deals.sql }}) AS d
JOIN ({{ marts/dim_messages.sql }}) AS m ON d.close_date < m.launch_date
WHERE $message_id IS NULL OR m.message_id = $message_id
GROUP BY m.message_id, d.rep_id
ORDER BY m.message_id, d.rep_id
