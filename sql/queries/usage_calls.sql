-- One row per conversation (call or meeting, macros/is_conversation.sql) x message whose rep is in scope of the
-- message, before and after launch (weeks_since_launch < 0: the trackers' baseline of false positives and organic
-- use). A conversation is in scope of a message when its rep is in scope (queries/rep_message.sql, from
-- in_scope_since) and, when it is linked to a deal, the deal's segment is the message's target segment (no target:
-- every segment). is_used: the rep used the message in it (macros/used_by_rep.sql); is_by_rep: a speaker labelled as
-- the rep said it (else the source has no speakers). Reps, messages and filters of queries/rep_message.sql ($as_of,
-- $teams, $regions, $managers, $rep_ids, $segments, $messages); conversations dated up to $as_of.
WITH scope AS (
    SELECT rm.rep_id, rm.rep_name, rm.team, rm.region, rm.manager, rm.message_id, rm.message_name, rm.launch_date,
           rm.target_segment, rm.in_scope_since, rm.certified_at
    FROM ({{ queries/rep_message.sql }}) AS rm
    WHERE rm.is_in_scope AND rm.launch_date IS NOT NULL
),
calls AS (
    SELECT a.activity_id, a.rep_id, a.activity_date, a.opportunity_id, o.segment
    FROM activities a
    LEFT JOIN opportunities o ON o.opportunity_id = a.opportunity_id
    WHERE {{ macros/is_conversation.sql }} AND a.rep_id IS NOT NULL AND a.activity_date IS NOT NULL
      AND ($as_of IS NULL OR a.activity_date <= $as_of::DATE)
),
used AS (
    SELECT mm.activity_id, mm.message_id, bool_or(mm.speaker_role = 'rep') AS is_by_rep
    FROM message_mentions mm
    WHERE {{ macros/used_by_rep.sql }}
    GROUP BY mm.activity_id, mm.message_id
)
SELECT c.activity_id, c.activity_date, c.opportunity_id, s.message_id, s.message_name, s.rep_id, s.rep_name, s.team,
       s.region, s.manager,
       floor(date_diff('day', s.launch_date, c.activity_date) / 7)::INTEGER AS weeks_since_launch,
       u.activity_id IS NOT NULL AS is_used,
       coalesce(u.is_by_rep, false) AS is_by_rep,
       coalesce(c.activity_date >= s.certified_at::DATE, false) AS is_after_certified
FROM scope s
JOIN calls c
  ON c.rep_id = s.rep_id
 AND (s.target_segment IS NULL OR c.segment IS NULL OR lower(trim(c.segment)) = lower(trim(s.target_segment)))
 AND (s.in_scope_since IS NULL OR c.activity_date >= s.in_scope_since)
LEFT JOIN used u ON u.activity_id = c.activity_id AND u.message_id = s.message_id
