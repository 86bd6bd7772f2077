-- One row: the dates that decide which rows a date filter admits. Closed deals with a matched owner (the lift's
-- sample): the first and last close date, the last one on or before $upper and the first on or after $lower;
-- and the last feedback date. Two filters admitting the same rows give the same answer (analytics.precompute keys).
SELECT min(close_date) AS first_close_date,
       max(close_date) AS last_close_date,
       max(close_date) FILTER (WHERE close_date <= $upper::DATE) AS last_close_until_upper,
       min(close_date) FILTER (WHERE close_date >= $lower::DATE) AS first_close_from_lower,
       (SELECT max(feedback_date) FROM feedback) AS last_feedback_date
FROM opportunities
WHERE outcome IN ('won', 'lost') AND close_date IS NOT NULL AND rep_id IS NOT NULL
