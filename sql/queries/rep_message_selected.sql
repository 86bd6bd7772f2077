-- Which rows of the every-rep rep x message rows (rep_message.sql without filters, registered as `every_rep_message`
-- with its row number `row_number`) a rep and message filter keeps: the rows rep_message.sql gives for that filter,
-- since its rep scope and message list only select reps and messages ($teams, $regions, $managers, $rep_ids,
-- $messages; a segment filter needs the reps' deals and is not answered here).
SELECT r.row_number
FROM every_rep_message r
WHERE {{ macros/rep_scope.sql }}
  AND (coalesce(len($messages::VARCHAR[]), 0) = 0 OR r.message_id IN (SELECT unnest($messages::VARCHAR[])))
ORDER BY r.row_number
