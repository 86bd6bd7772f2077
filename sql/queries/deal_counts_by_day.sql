-- One row per message, close date, scope and adoption of queries/message_deals.sql (same filters): closed deals
-- (`deals`) and won deals (`won`), counted in SQL for win rates over time.
SELECT message_id, close_date, is_in_scope, is_adopted, count(*) AS deals, sum(is_won::INTEGER)::BIGINT AS won
FROM ({{ queries/message_deals.sql }}) AS p
GROUP BY message_id, close_date, is_in_scope, is_adopted
