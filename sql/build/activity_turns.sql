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
), texts AS NOT MATERIALIZED (   -- read twice (labelled or not): not kept in memory
    SELECT x.activity_id, x.activity_type, x.rk, x.labelled, a.body
    FROM activities a JOIN acts x ON x.activity_id = a.activity_id
), lines AS (
    -- per labelled text, its non-empty lines (trimmed) and what each says after its first ": "; lists, not a row per
    -- line: turns are cut from them text by text, with no sort over all lines (a window over them spilled gigabytes)
    SELECT activity_id, activity_type, rk, ls,
           list_transform(ls, lambda x: trim(substr(x, strpos(x, ': ') + 2))) AS said,
           -- the label is what comes before the first ": " (a timestamp before it dropped)
           list_transform(ls, lambda x: regexp_replace(trim(left(x, strpos(x, ': ') - 1)),
                          '^[\[(]?\d{1,2}:\d{2}(?::\d{2})?(?:[.,]\d+)?[\])]?\s*-?\s*', '')) AS label
    FROM (SELECT activity_id, activity_type, rk,
                 list_filter(list_transform(string_split(body, chr(10)), lambda x: trim(x)), lambda x: x <> '') AS ls
          FROM texts WHERE labelled)
), marked AS (
    -- each line's speaker (NULL: not a label), checked on the label alone
    SELECT activity_id, activity_type, rk, ls, said,
           list_transform(list_zip(ls, label, said), lambda z:
               CASE WHEN strpos(z[1], ': ') BETWEEN 2 AND 80 AND z[3] <> ''
                     -- a name: no leading digit, no sentence or code punctuation (ASCII classes: \p{L} is slow)
                     AND NOT regexp_matches(z[2], '^[0-9\s]|[?!,;:"()\[\]{}<>/\\|=+*#%&$~^]')
                     AND len(string_split(z[2], ' ')) <= 5
                     AND lower(z[2]) NOT IN ('summary', 'next steps', 'next step', 'action items', 'notes',
                         'note', 'agenda', 'brief', 'highlights', 'topics', 'outcome', 'key points', 'recap',
                         'subject', 'date', 'rep', 'deal', 'title', 'participants', 'attendees', 'duration',
                         'decision', 'decisions', 'questions', 'pricing', 'call', 'meeting', 'pros', 'cons',
                         'follow up', 'follow-up', 'todo', 'to do', 're', 'fw', 'fwd', 'http', 'https')
                THEN z[2] END) AS speaker
    FROM lines
), cuts AS (
    -- a turn starts at each labelled line, and at the first line when it has no label; it runs to the next start
    SELECT activity_id, activity_type, rk, ls, said, speaker, starts,
           list_concat(list_transform(starts[2:], lambda i: i - 1), [len(ls)]) AS stops
    FROM (SELECT *, list_filter(list_transform(speaker, lambda s, i: CASE WHEN s IS NOT NULL OR i = 1 THEN i END),
                                lambda i: i IS NOT NULL) AS starts
          FROM marked)
), turns AS (
    -- a labelled line's turn is what it says, then the unlabelled lines after it; text before any label is turn 1
    SELECT activity_id, activity_type, rk, turn_no, speaker[a] AS speaker,
           CASE WHEN speaker[a] IS NULL THEN array_to_string(ls[a:b], ' ')
                WHEN b > a THEN said[a] || ' ' || array_to_string(ls[a + 1:b], ' ') ELSE said[a] END AS text
    FROM (SELECT activity_id, activity_type, rk, ls, said, speaker, unnest(starts) AS a, unnest(stops) AS b,
                 unnest(range(1, len(starts) + 1)) AS turn_no
          FROM cuts)
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
), keyed AS (   -- each turn with its speaker's key, per turn: a lookup of distinct speakers kept every turn in memory
    SELECT *, CASE WHEN contains(speaker, '@') THEN email_key(speaker) ELSE name_key(speaker) END AS skey FROM turns
)
SELECT t.activity_id, t.turn_no::INTEGER AS turn_no, t.speaker,
       -- only calls and meetings are split into turns: text without a speaker is the rep's for the others
       CASE WHEN t.speaker IS NULL THEN CASE WHEN t.activity_type IN ('email', 'note', 'task') THEN 'rep'
                                             ELSE 'unknown' END
            WHEN list_contains(p.rep_keys, t.skey) OR list_contains(p.first_keys, split_part(t.skey, ' ', 1))
                 OR r.k IS NOT NULL THEN 'rep'
            ELSE 'prospect' END AS speaker_role,
       t.text
FROM keyed t
LEFT JOIN people p ON p.rk = t.rk
LEFT JOIN roster r ON r.k = t.skey
