-- One row per closed (won or lost) deal with a matched owner, with the rep's team, region and manager; the sample
-- the adjusted lift model is fitted on. deal_key: a compact join key (hash of opportunity_id). Unordered: a reader
-- that needs an order sorts (analytics.views.lift sorts by deal_key), an aggregate pays no sort.
-- Filters, all bound (NULL or an empty list = no filter): close date up to $as_of and within $date_from..$date_to;
-- deal segment in $segments (case and outer spaces ignored); the rep scope of macros/rep_scope.sql ($teams,
-- $regions, $managers, $rep_ids).
SELECT o.opportunity_id, hash(o.opportunity_id) AS deal_key, o.rep_id, r.team, r.region, r.manager, o.segment,
       o.amount, o.deal_type, o.close_date,
       o.outcome = 'won' AS is_won, o.message_id AS tagged_message_id
FROM opportunities o
LEFT JOIN reps r ON r.rep_id = o.rep_id
WHERE o.outcome IN ('won', 'lost') AND o.close_date IS NOT NULL
  AND o.rep_id IS NOT NULL
  AND ($as_of IS NULL OR o.close_date <= $as_of::DATE)
  AND ($date_from IS NULL OR o.close_date >= $date_from::DATE)
  AND ($date_to IS NULL OR o.close_date <= $date_to::DATE)
  AND {{ macros/segment_in.sql }}
  AND {{ macros/rep_scope.sql }}
