-- One row per data-quality check on deals: how many deals fail it, out of how many deals it applies to.
SELECT check_name, n_deals, n_total
FROM (
    SELECT 1 AS sort, 'Closed deals without a segment' AS check_name,
           count(*) FILTER (WHERE segment IS NULL OR trim(segment) = '') AS n_deals, count(*) AS n_total
    FROM opportunities WHERE outcome IN ('won', 'lost')
    UNION ALL
    SELECT 2, 'Deals without an amount', count(*) FILTER (WHERE amount IS NULL), count(*) FROM opportunities
    UNION ALL
    SELECT 3, 'Deals whose owner is not on the roster',
           count(*) FILTER (WHERE o.rep_id IS NULL OR NOT coalesce(r.in_roster, false)), count(*)
    FROM opportunities o LEFT JOIN reps r USING (rep_id)
    UNION ALL
    SELECT 4, 'Open deals with a close date in the past', count(*) FILTER (WHERE close_date < $today),
           count(*)
    FROM opportunities WHERE outcome = 'open'
)
ORDER BY sort
