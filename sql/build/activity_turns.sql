-- Speaker turns of the activities in `src`, read from their current rows in `activities`. A call or meeting whose
-- text has at least two lines "Speaker: text" (an optional [00:01:02] before) is split at those lines, a line
-- without a label continuing the turn before it; any other text is one turn without a speaker.
-- speaker_role: 'rep' when the speaker is the activity's rep (full name, first name or email local part, accents
-- and case ignored) or any roster rep, 'prospect' for any other named speaker; a text without speakers is the
-- rep's for an email, note or task, and 'unknown' for a call or meeting.
WITH acts AS MATERIALIZED (   -- small: no text (a buffered CTE stays in memory), the text is joined where read
    SELECT a.activity_id, a.activity_type, hash(a.rep_email, a.rep_name, r.rep_email, r.rep_name) AS rk,
           a.activity_type IN ('call', 'meeting')
               AND regexp_matches(a.body, '(^|\n)\s*(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?[\])]?\s*-?\s*)?'
                                          || '[^:\n]{1,60}:[ \t][^\n]*\n([^\n]*\n)*?\s*'
                                          || '(?:[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?[\])]?\s*-?\s*)?'
                                          || '[^:\n]{1,60}:[ \t]') AS labelled
    FROM activities a LEFT JOIN reps r ON r.rep_id = a.rep_id
    WHERE a.body IS NOT NULL AND a.activity_id IN (SELECT activity_id FROM src)
), texts AS (
    SELECT x.activity_id, x.activity_type, x.rk, x.labelled, a.body
    FROM activities a JOIN acts x ON x.activity_id = a.activity_id
), lines AS (
    -- the label is what comes before the first ": " (a timestamp before it dropped); checked on the label alone
    SELECT activity_id, activity_type, rk, line_no, line,
           regexp_replace(trim(left(line, strpos(line, ': ') - 1)),
                          '^[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?[\])]?\s*-?\s*', '') AS label,
           trim(substr(line, strpos(line, ': ') + 2)) AS said
    -- unnest in the select list: a lateral unnest joins its lines back to each text on the whole text (it spilled)
    FROM (SELECT activity_id, activity_type, rk, trim(unnest(ls)) AS line, unnest(range(1, len(ls) + 1)) AS line_no
          FROM (SELECT activity_id, activity_type, rk, string_split(body, chr(10)) AS ls FROM texts WHERE labelled))
    WHERE line <> ''
), marked AS (
    SELECT activity_id, activity_type, rk, line_no, line, said,
           CASE WHEN strpos(line, ': ') BETWEEN 2 AND 80 AND said <> ''
                     -- a name: no leading digit, no sentence or code punctuation (ASCII classes: \p{L} is slow)
                     AND NOT regexp_matches(label, '^[0-9\s]|[?!,;:"()\[\]{}<>/\\|=+*#%&$~^]')
                     AND len(string_split(label, ' ')) <= 5
                     AND lower(label) NOT IN ('summary', 'next steps', 'next step', 'action items', 'notes',
                         'note', 'agenda', 'brief', 'highlights', 'topics', 'outcome', 'key points', 'recap',
                         'subject', 'date', 'rep', 'deal', 'title', 'participants', 'attendees', 'duration',
                         'decision', 'decisions', 'questions', 'pricing', 'call', 'meeting', 'pros', 'cons',
                         'follow up', 'follow-up', 'todo', 'to do', 're', 'fw', 'fwd', 'http', 'https')
                THEN label END AS speaker,
           said
    FROM lines
), grouped AS (
    -- turn number: labels so far, plus one when text without a label comes first; a labelled line followed by
    -- another label (most lines) is a whole turn, only the others are put together (one sort for all three)
    SELECT activity_id, activity_type, rk, line_no, speaker,
           CASE WHEN speaker IS NOT NULL THEN said ELSE line END AS text,
           sum(CASE WHEN speaker IS NOT NULL THEN 1 ELSE 0 END) OVER w
               + CASE WHEN first_value(speaker IS NULL) OVER w THEN 1 ELSE 0 END AS turn_no,
           speaker IS NOT NULL AND coalesce(lead(speaker IS NOT NULL) OVER w, true) AS whole
    FROM marked
    WINDOW w AS (PARTITION BY activity_id ORDER BY line_no ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
), turns AS (
    SELECT activity_id, activity_type, rk, turn_no, speaker, text FROM grouped WHERE whole
    UNION ALL
    SELECT activity_id, any_value(activity_type), any_value(rk), turn_no,
           any_value(speaker) FILTER (WHERE speaker IS NOT NULL), string_agg(text, ' ' ORDER BY line_no)
    FROM grouped WHERE NOT whole GROUP BY activity_id, turn_no
    UNION ALL
    SELECT activity_id, activity_type, rk, 1, NULL, body FROM texts WHERE NOT labelled
), people AS (   -- the keys a rep answers to, once per distinct rep of these activities
    SELECT rk,
           list_filter([name_key(rep_name), name_key(resolved_name), split_part(name_key(rep_name), ' ', 1),
                        split_part(name_key(resolved_name), ' ', 1), name_key(split_part(rep_email, '@', 1)),
                        name_key(split_part(resolved_email, '@', 1)), email_key(rep_email), email_key(resolved_email)],
                       lambda x: x IS NOT NULL AND x <> '') AS rep_keys,
           -- without the rep's name, the first word of the email (sam of sam.lee@) may be the speaker's first name
           CASE WHEN rep_name IS NULL AND resolved_name IS NULL
                THEN list_filter([split_part(name_key(split_part(rep_email, '@', 1)), ' ', 1),
                                  split_part(name_key(split_part(resolved_email, '@', 1)), ' ', 1)],
                                 lambda x: x IS NOT NULL AND x <> '') ELSE [] END AS first_keys
    FROM (SELECT DISTINCT hash(a.rep_email, a.rep_name, r.rep_email, r.rep_name) AS rk, a.rep_email,
                 CASE WHEN NOT contains(a.rep_name, '@') THEN a.rep_name END AS rep_name, r.rep_email AS resolved_email,
                 CASE WHEN NOT contains(r.rep_name, '@') THEN r.rep_name END AS resolved_name
          FROM activities a LEFT JOIN reps r ON r.rep_id = a.rep_id
          WHERE a.activity_id IN (SELECT activity_id FROM src))
), roster AS (
    SELECT DISTINCT name_key(rep_name) AS k FROM reps WHERE in_roster AND rep_name IS NOT NULL
    UNION SELECT DISTINCT email_key(rep_email) FROM reps WHERE in_roster AND rep_email IS NOT NULL
), speakers AS (   -- each distinct speaker's key, and whether a roster rep has it
    SELECT speaker, skey, skey IN (SELECT k FROM roster) AS in_roster
    FROM (SELECT speaker, CASE WHEN contains(speaker, '@') THEN email_key(speaker) ELSE name_key(speaker) END AS skey
          FROM (SELECT DISTINCT speaker FROM turns WHERE speaker IS NOT NULL))
)
SELECT t.activity_id, t.turn_no::INTEGER AS turn_no, t.speaker,
       -- only calls and meetings are split into turns: text without a speaker is the rep's for the others
       CASE WHEN t.speaker IS NULL THEN CASE WHEN t.activity_type IN ('email', 'note', 'task') THEN 'rep'
                                             ELSE 'unknown' END
            WHEN list_contains(p.rep_keys, s.skey) OR list_contains(p.first_keys, split_part(s.skey, ' ', 1))
                 OR s.in_roster THEN 'rep'
            ELSE 'prospect' END AS speaker_role,
       t.text
FROM turns t
LEFT JOIN people p ON p.rk = t.rk
LEFT JOIN speakers s ON s.speaker = t.speaker
