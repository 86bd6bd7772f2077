-- One row per in-scope closed deal x message of queries/message_deals.sql (same filters: $message_id, $as_of,
-- $date_from, $date_to, $segments, $teams, $regions, $managers, $rep_ids) that has at least one recorded activity on
-- or before its close date: is_used when a rep used the message (macros/used_by_rep.sql) in one of those activities;
-- is_used_early when the first such use came more than $late_days days before the close (the timing test).
-- message_ix: the message's position in $message_ids (-1: not listed). Ordered by deal_key, then message_ix.
WITH pairs AS (
    SELECT * FROM ({{ queries/message_deals.sql }}) AS p WHERE p.is_in_scope
),
recorded AS (
    SELECT a.opportunity_id, count(*) AS n_activities
    FROM activities a
    JOIN opportunities o ON o.opportunity_id = a.opportunity_id
    WHERE a.activity_date <= o.close_date
    GROUP BY a.opportunity_id
),
deal_use AS (
    SELECT a.opportunity_id, mm.message_id, min(a.activity_date) AS first_used_date,
           count(DISTINCT a.activity_id) AS n_used_activities
    FROM activities a
    JOIN opportunities o ON o.opportunity_id = a.opportunity_id
    JOIN message_mentions mm ON mm.activity_id = a.activity_id
    WHERE {{ macros/used_by_rep.sql }} AND a.activity_date <= o.close_date
    GROUP BY a.opportunity_id, mm.message_id
)
SELECT p.deal_key, p.opportunity_id, p.message_id,
       list_position($message_ids::VARCHAR[], p.message_id) - 1 AS message_ix,
       p.rep_id, rn.rep_name, p.team, p.region, p.manager, p.segment, p.close_date, p.is_won, p.is_adopted,
       p.is_tagged, p.certified_at, r.n_activities,
       coalesce(u.n_used_activities, 0) AS n_used_activities, u.first_used_date,
       u.opportunity_id IS NOT NULL AS is_used,
       coalesce(u.first_used_date < p.close_date - $late_days::INTEGER, false) AS is_used_early
FROM pairs p
JOIN recorded r ON r.opportunity_id = p.opportunity_id
LEFT JOIN reps rn ON rn.rep_id = p.rep_id
LEFT JOIN deal_use u ON u.opportunity_id = p.opportunity_id AND u.message_id = p.message_id
ORDER BY p.deal_key, message_ix
