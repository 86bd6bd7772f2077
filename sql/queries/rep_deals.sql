-- One row per message with closed deals of rep $rep_id in its segment, with the scope, adoption and deal filters of
-- queries/message_deals.sql (included; $as_of, $date_from, $date_to, $segments and the rep scope of
-- macros/rep_scope.sql): closed deals in scope, adopted (certified on or before the close date) and won, for the
-- messages in $messages. Nothing when the rep is outside the filters or the reps a manager may see ($rep_ids).
SELECT d.message_id,
       count(*) FILTER (WHERE d.is_in_scope) AS n_closed_in_scope,
       count(*) FILTER (WHERE d.is_in_scope AND d.is_won) AS n_won_in_scope,
       count(*) FILTER (WHERE d.is_adopted) AS n_closed_adopted,
       count(*) FILTER (WHERE d.is_adopted AND d.is_won) AS n_won_adopted,
       count(*) FILTER (WHERE NOT d.is_in_scope) AS n_closed_before_launch,
       min(d.close_date) FILTER (WHERE d.is_in_scope) AS first_close_in_scope,
       max(d.close_date) FILTER (WHERE d.is_in_scope) AS last_close_in_scope
FROM ({{ queries/message_deals.sql }}) AS d
WHERE d.rep_id = $rep_id
  AND (coalesce(len($messages::VARCHAR[]), 0) = 0 OR d.message_id IN (SELECT unnest($messages::VARCHAR[])))
GROUP BY d.message_id
