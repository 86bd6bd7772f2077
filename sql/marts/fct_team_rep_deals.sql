-- One row per message with closed deals of rep $rep_id in its segment, with the scope and adoption definitions of
-- fct_message_deals.sql (read here as the CTE `message_deals`, prepended by analytics.overview): closed deals in
-- scope, adopted (certified on or before the close date) and won. Nothing when the rep is outside the shared
-- sidebar filters or the reps a manager may see ($rep_ids).
SELECT d.message_id,
       count(*) FILTER (WHERE d.is_in_scope) AS n_closed_in_scope,
       count(*) FILTER (WHERE d.is_in_scope AND d.is_won) AS n_won_in_scope,
       count(*) FILTER (WHERE d.is_adopted) AS n_closed_adopted,
       count(*) FILTER (WHERE d.is_adopted AND d.is_won) AS n_won_adopted,
       count(*) FILTER (WHERE NOT d.is_in_scope) AS n_closed_before_launch,
       min(d.close_date) FILTER (WHERE d.is_in_scope) AS first_close_in_scope,
       max(d.close_date) FILTER (WHERE d.is_in_scope) AS last_close_in_scope
FROM message_deals d
JOIN reps r ON r.rep_id = d.rep_id
WHERE d.rep_id = $rep_id
  AND (len($messages) = 0 OR d.message_id IN (SELECT unnest($messages::VARCHAR[])))
  AND (len($segments) = 0 OR lower(trim(d.segment)) IN (SELECT lower(trim(unnest($segments::VARCHAR[])))))
  AND (len($teams) = 0 OR r.team IN (SELECT unnest($teams)))
  AND (len($regions) = 0 OR r.region IN (SELECT unnest($regions)))
  AND (len($managers) = 0 OR r.manager IN (SELECT unnest($managers)))
  AND ($rep_ids IS NULL OR r.rep_id IN (SELECT unnest($rep_ids::VARCHAR[])))
GROUP BY d.message_id
