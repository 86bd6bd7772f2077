-- One row per rep x message, with the columns and definitions of fct_rep_message.sql (read here as the CTE
-- `rep_message`, prepended by analytics.overview), for the reps passing the shared sidebar filters: team, region and
-- manager lists, the reps a manager may see ($rep_ids, NULL = all), reps owning an opportunity in one of
-- $segments, and only the messages in $messages (every list empty = no filter).
SELECT rm.*
FROM rep_message rm
JOIN reps r ON r.rep_id = rm.rep_id
WHERE (len($teams) = 0 OR r.team IN (SELECT unnest($teams)))
  AND (len($regions) = 0 OR r.region IN (SELECT unnest($regions)))
  AND (len($managers) = 0 OR r.manager IN (SELECT unnest($managers)))
  AND ($rep_ids IS NULL OR r.rep_id IN (SELECT unnest($rep_ids::VARCHAR[])))
  AND (len($segments) = 0 OR EXISTS (
        SELECT 1 FROM opportunities o
        WHERE o.rep_id = r.rep_id
          AND lower(trim(o.segment)) IN (SELECT lower(trim(unnest($segments::VARCHAR[]))))))
  AND (len($messages) = 0 OR rm.message_id IN (SELECT unnest($messages::VARCHAR[])))
ORDER BY rm.launch_date NULLS LAST, rm.message_id, rm.rep_id
