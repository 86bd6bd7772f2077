-- Per rep x message on $as_of, what a forgotten message puts at stake (the reinforcement list's ranking):
-- is_message_live: the message has launched by $as_of (macros/launch_date.sql);
-- is_rep_in_scope: the message has no target segment, or the rep owns a deal in it (rep_message.sql's rule);
-- open_deals, open_pipeline: the rep's deals in that segment (every segment when the message has none) created by
-- $as_of and not closed by then, and the sum of their amounts (undated creations count as open).
WITH deals AS (
    SELECT rep_id, lower(trim(segment)) AS segment_key, amount,
           (created_date IS NULL OR created_date <= $as_of::DATE)
           AND (NOT is_closed OR close_date IS NULL OR close_date > $as_of::DATE) AS is_open,
           (close_date IS NULL OR NOT is_closed OR close_date <= $as_of::DATE) AS counts_for_scope
    FROM opportunities
    WHERE rep_id IS NOT NULL
),
launches AS (
    SELECT m.message_id, {{ macros/launch_date.sql }} AS launch_date, lower(trim(m.target_segment)) AS segment_key
    FROM messages m
)
SELECT r.rep_id, l.message_id,
       coalesce(l.launch_date <= $as_of::DATE, false) AS is_message_live,
       (l.segment_key IS NULL OR coalesce(bool_or(d.counts_for_scope AND d.segment_key = l.segment_key), false))
           AS is_rep_in_scope,
       count(*) FILTER (WHERE d.is_open AND (l.segment_key IS NULL OR d.segment_key = l.segment_key)) AS open_deals,
       coalesce(sum(d.amount) FILTER (WHERE d.is_open AND (l.segment_key IS NULL OR d.segment_key = l.segment_key)),
                0)::DOUBLE AS open_pipeline
FROM reps r
CROSS JOIN launches l
LEFT JOIN deals d ON d.rep_id = r.rep_id
GROUP BY r.rep_id, l.message_id, l.launch_date, l.segment_key
