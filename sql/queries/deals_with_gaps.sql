-- One row per deal missing a segment (when closed) or an amount: what ops would fix in the CRM.
SELECT o.opportunity_id, o.opportunity_name, o.account_name, o.owner_name, o.stage, o.outcome, o.amount,
       o.segment, o.close_date,
       concat_ws('; ', CASE WHEN o.outcome IN ('won', 'lost') AND (o.segment IS NULL OR trim(o.segment) = '')
                            THEN 'no segment' END,
                       CASE WHEN o.amount IS NULL THEN 'no amount' END) AS problem
FROM opportunities o
WHERE (o.outcome IN ('won', 'lost') AND (o.segment IS NULL OR trim(o.segment) = '')) OR o.amount IS NULL
ORDER BY o.close_date DESC NULLS LAST, o.opportunity_id
LIMIT $limit
