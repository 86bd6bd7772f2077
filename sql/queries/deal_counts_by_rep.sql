-- One row per message, rep, segment and adoption of the in-scope deals of queries/message_deals.sql (same filters):
-- closed deals (`deals`) and won deals (`won`), counted in SQL for win rates within strata.
SELECT message_id, rep_id, segment, is_adopted, count(*) AS deals, sum(is_won::INTEGER)::BIGINT AS won
FROM ({{ queries/message_deals.sql }}) AS p
WHERE is_in_scope
GROUP BY message_id, rep_id, segment, is_adopted
