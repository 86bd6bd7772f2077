-- One row per in-scope deal x message of queries/message_deals.sql (same filters), with the message's position in
-- $message_ids instead of its id (-1: not listed), ordered by deal_key then position: the lift estimator's pairs.
SELECT deal_key, list_position($message_ids::VARCHAR[], message_id) - 1 AS message_ix, is_adopted, is_tagged
FROM ({{ queries/message_deals.sql }}) AS p
WHERE is_in_scope
ORDER BY deal_key, message_ix
