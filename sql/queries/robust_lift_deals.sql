-- One row per closed deal of queries/closed_deals.sql (same filters) with the rep's team, the columns the robust
-- lift estimator reads (team x period effects), ordered by deal_key so that pairs find their deal by binary search.
SELECT deal_key, rep_id, team, close_date, segment, amount, deal_type, is_won
FROM ({{ queries/closed_deals.sql }}) AS d
ORDER BY deal_key
