-- One row per match behind a usage rate: a conversation in scope of $message_id (queries/usage_calls.sql, same
-- filters) in which the rep used it, with the matched snippet, its date and who said it (newest first, at most
-- $limit). Narrowed by $team, $manager, $focus_rep_id and weeks since launch $week_from..$week_to (NULL: any).
-- Privacy, here and not in pages: the rep's name, the speaker's name, the title and the activity id are NULL unless
-- the viewer may read the activity (macros/may_read_text.sql); for other viewers a snippet of a team with fewer
-- than $min_group reps is left out, as its rep could be told.
SELECT c.activity_date, c.message_id, c.message_name, c.weeks_since_launch, mm.speaker_role, mm.method, mm.score,
       mm.snippet,
       CASE WHEN {{ macros/may_read_text.sql }} THEN c.team
            WHEN (SELECT count(*) FROM reps t WHERE t.team IS NOT DISTINCT FROM c.team) >= $min_group THEN c.team
       END AS team,
       CASE WHEN {{ macros/may_read_text.sql }} THEN c.rep_name END AS rep_name,
       CASE WHEN {{ macros/may_read_text.sql }} THEN mm.speaker END AS speaker,
       CASE WHEN {{ macros/may_read_text.sql }} THEN a.title END AS title,
       CASE WHEN {{ macros/may_read_text.sql }} THEN a.activity_id END AS activity_id
FROM ({{ queries/usage_calls.sql }}) AS c
JOIN activities a ON a.activity_id = c.activity_id
JOIN message_mentions mm ON mm.activity_id = c.activity_id AND mm.message_id = c.message_id
WHERE c.is_used AND {{ macros/used_by_rep.sql }}
  AND c.message_id = $message_id
  AND ($team IS NULL OR c.team = $team)
  AND ($manager IS NULL OR c.manager = $manager)
  AND ($focus_rep_id IS NULL OR c.rep_id = $focus_rep_id)
  AND ($week_from IS NULL OR c.weeks_since_launch >= $week_from)
  AND ($week_to IS NULL OR c.weeks_since_launch <= $week_to)
  AND ({{ macros/may_read_text.sql }}
       OR (SELECT count(*) FROM reps t WHERE t.team IS NOT DISTINCT FROM c.team) >= $min_group)
ORDER BY c.activity_date DESC, mm.score DESC
LIMIT $limit
