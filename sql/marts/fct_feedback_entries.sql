-- One row per feedback entry dated in [$start, $end] (NULL = open), for the shared sidebar filters: the rep's team,
-- region and manager lists, the reps a manager may see ($rep_ids), and $messages. Entries of unmatched reps count
-- only while no rep filter is set; entries without a message only while no message filter is set.
SELECT f.feedback_id, f.message_id, m.message_name, f.rep_id, r.rep_name, r.team, r.region, r.manager, f.topic,
       f.feedback_date, f.rating, f.outcome, f.notes
FROM feedback f
LEFT JOIN reps r ON r.rep_id = f.rep_id
LEFT JOIN messages m ON m.message_id = f.message_id
WHERE ($start IS NULL OR f.feedback_date >= $start::DATE)
  AND ($end IS NULL OR f.feedback_date <= $end::DATE)
  AND (len($messages) = 0 OR f.message_id IN (SELECT unnest($messages::VARCHAR[])))
  AND (len($teams) = 0 OR r.team IN (SELECT unnest($teams)))
  AND (len($regions) = 0 OR r.region IN (SELECT unnest($regions)))
  AND (len($managers) = 0 OR r.manager IN (SELECT unnest($managers)))
  AND ($rep_ids IS NULL OR r.rep_id IN (SELECT unnest($rep_ids::VARCHAR[])))
ORDER BY f.feedback_date, f.feedback_id
