-- Speaker turns of the activities in `src`, read from their current rows in `activities`. A call or meeting whose
-- text has at least two lines "Speaker: text" (an optional [00:01:02] before) is split at those lines, a line
-- without a label continuing the turn before it; any other text is one turn without a speaker.
-- speaker_role: 'rep' when the speaker is the activity's rep (full name, first name or email local part, accents
-- and case ignored) or any roster rep, 'prospect' for any other named speaker; a text without speakers is the
-- rep's for an email, note or task, and 'unknown' for a call or meeting.
WITH acts AS MATERIALIZED (
    SELECT a.activity_id, a.activity_type, a.body, a.rep_email, r.rep_email AS resolved_email,
           CASE WHEN NOT contains(a.rep_name, '@') THEN a.rep_name END AS rep_name,
           CASE WHEN NOT contains(r.rep_name, '@') THEN r.rep_name END AS resolved_name,
           a.activity_type IN ('call', 'meeting')
               AND regexp_matches(a.body, '(^|\n)\s*(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?[\])]?\s*-?\s*)?'
                                          || '[^:\n]{1,60}:[ \t][^\n]*\n([^\n]*\n)*?\s*'
                                          || '(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?[\])]?\s*-?\s*)?'
                                          || '[^:\n]{1,60}:[ \t]') AS labelled
    FROM activities a LEFT JOIN reps r ON r.rep_id = a.rep_id
    WHERE a.body IS NOT NULL AND a.activity_id IN (SELECT activity_id FROM src)
), lines AS MATERIALIZED (
    -- the label is what comes before the first ": " (a timestamp before it dropped); checked on the label alone
    SELECT activity_id, line_no, line,
           regexp_replace(trim(left(line, strpos(line, ': ') - 1)),
                          '^[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?[\])]?\s*-?\s*', '') AS label,
           trim(substr(line, strpos(line, ': ') + 2)) AS said
    FROM (SELECT t.activity_id, u.line_no, trim(u.line) AS line
          FROM (SELECT activity_id, body FROM acts WHERE labelled) t,
               unnest(string_split(t.body, chr(10))) WITH ORDINALITY AS u(line, line_no))
    WHERE line <> ''
), marked AS (
    SELECT activity_id, line_no, line,
           CASE WHEN strpos(line, ': ') BETWEEN 2 AND 80 AND said <> ''
                     AND regexp_full_match(label, '\p{L}[\p{L}\p{M}0-9 .''’@_-]{0,59}')
                     AND len(string_split(label, ' ')) <= 5
                     AND lower(label) NOT IN ('summary', 'next steps', 'next step', 'action items', 'notes',
                         'note', 'agenda', 'brief', 'highlights', 'topics', 'outcome', 'key points', 'recap',
                         'subject', 'date', 'rep', 'deal', 'title', 'participants', 'attendees', 'duration',
                         'decision', 'decisions', 'questions', 'pricing', 'call', 'meeting', 'pros', 'cons',
                         'follow up', 'follow-up', 'todo', 'to do', 're', 'fw', 'fwd', 'http', 'https')
                THEN label END AS speaker,
           said
    FROM lines
), grouped AS MATERIALIZED (
    SELECT *, sum(CASE WHEN speaker IS NOT NULL THEN 1 ELSE 0 END)
                  OVER (PARTITION BY activity_id ORDER BY line_no ROWS UNBOUNDED PRECEDING) AS grp
    FROM marked
), turns AS (
    SELECT activity_id, grp, min(line_no) AS first_line, any_value(speaker) FILTER (WHERE speaker IS NOT NULL) AS speaker,
           string_agg(CASE WHEN speaker IS NOT NULL THEN said ELSE line END, ' ' ORDER BY line_no) AS text
    FROM grouped GROUP BY activity_id, grp
    UNION ALL
    SELECT activity_id, 0, 0, NULL, body FROM acts WHERE NOT labelled
), roster AS (
    SELECT DISTINCT name_key(rep_name) AS k FROM reps WHERE in_roster AND rep_name IS NOT NULL
    UNION SELECT DISTINCT email_key(rep_email) FROM reps WHERE in_roster AND rep_email IS NOT NULL
), keyed AS (
    SELECT t.*, a.activity_type,
           CASE WHEN contains(t.speaker, '@') THEN email_key(t.speaker) ELSE name_key(t.speaker) END AS skey,
           list_filter([name_key(a.rep_name), name_key(a.resolved_name),
                        split_part(name_key(a.rep_name), ' ', 1), split_part(name_key(a.resolved_name), ' ', 1),
                        name_key(split_part(a.rep_email, '@', 1)), name_key(split_part(a.resolved_email, '@', 1)),
                        email_key(a.rep_email), email_key(a.resolved_email)], lambda x: x IS NOT NULL AND x <> '')
               AS rep_keys,
           -- without the rep's name, the first word of the email (sam of sam.lee@) may be the speaker's first name
           CASE WHEN a.rep_name IS NULL AND a.resolved_name IS NULL
                THEN list_filter([split_part(name_key(split_part(a.rep_email, '@', 1)), ' ', 1),
                                  split_part(name_key(split_part(a.resolved_email, '@', 1)), ' ', 1)],
                                 lambda x: x IS NOT NULL AND x <> '') ELSE [] END AS first_keys
    FROM turns t JOIN acts a USING (activity_id)
)
SELECT activity_id, (row_number() OVER (PARTITION BY activity_id ORDER BY first_line))::INTEGER AS turn_no,
       speaker,
       CASE WHEN speaker IS NULL THEN CASE WHEN activity_type IN ('email', 'note', 'task') AND grp = 0
                                                AND first_line = 0 THEN 'rep' ELSE 'unknown' END
            WHEN list_contains(rep_keys, skey) OR list_contains(first_keys, split_part(skey, ' ', 1))
                 OR skey IN (SELECT k FROM roster) THEN 'rep'
            ELSE 'prospect' END AS speaker_role,
       text
FROM keyed
