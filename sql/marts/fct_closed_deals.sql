-- One row per closed (won or lost) deal with a matched owner, with the rep's team and region; the sample
-- the adjusted lift model is fitted on. deal_key: a compact join key (hash of opportunity_id). Filters: NULL = all.
SELECT o.opportunity_id, hash(o.opportunity_id) AS deal_key, o.rep_id, r.team, r.region, o.segment, o.amount, o.deal_type, o.close_date,
       o.outcome = 'won' AS is_won
FROM opportunities o
LEFT JOIN reps r ON r.rep_id = o.rep_id
WHERE o.outcome IN ('won', 'lost') AND o.close_date IS NOT NULL
  AND o.rep_id IS NOT NULL
  AND ($as_of IS NULL OR o.close_date <= $as_of::DATE)
  AND ($date_from IS NULL OR o.close_date >= $date_from::DATE)
  AND ($date_to IS NULL OR o.close_date <= $date_to::DATE)
  AND ($segment IS NULL OR lower(trim(o.segment)) = lower(trim($segment)))
  AND ($team IS NULL OR r.team = $team)
  AND ($region IS NULL OR r.region = $region)
ORDER BY o.opportunity_id
