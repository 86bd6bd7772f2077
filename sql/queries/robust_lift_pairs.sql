-- One row per segment-matching deal x message of queries/message_deals.sql (same filters), before launch too (the
-- robust lift estimator's pre-trend and placebo checks read the earlier deals), with the message's position in
-- $message_ids instead of its id (-1: not listed) and the owner's certification day, ordered by deal_key then position.
SELECT deal_key, list_position($message_ids::VARCHAR[], message_id) - 1 AS message_ix, is_in_scope, is_adopted,
       is_tagged, certified_at::DATE AS certified_on
FROM ({{ queries/message_deals.sql }}) AS p
ORDER BY deal_key, message_ix
