-- One row per feedback entry, with the rep's team and region; $as_of, dates, team, region filter (NULL = all).
SELECT f.feedback_id, f.message_id, f.rep_id, r.team, r.region, f.topic, f.feedback_date, f.rating, f.outcome,
       f.notes
FROM feedback f
LEFT JOIN reps r ON r.rep_id = f.rep_id
WHERE ($as_of IS NULL OR f.feedback_date IS NULL OR f.feedback_date <= $as_of::DATE)
  AND ($date_from IS NULL OR f.feedback_date >= $date_from::DATE)
  AND ($date_to IS NULL OR f.feedback_date <= $date_to::DATE)
  AND ($team IS NULL OR r.team = $team)
  AND ($region IS NULL OR r.region = $region)
ORDER BY f.feedback_id
