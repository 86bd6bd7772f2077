-- One row per speaker turn of activity $activity_id, in order, only when the viewer may read it
-- (macros/may_read_text.sql: admin and ops, or a manager for their own team's activities); no rows otherwise.
-- text is NULL when transcripts are not kept (HUDDLE_KEEP_TRANSCRIPTS=false).
SELECT a.activity_id, a.activity_date, a.activity_type, a.title, a.rep_name, t.turn_no, t.speaker, t.speaker_role,
       t.text
FROM activities a
JOIN activity_turns t ON t.activity_id = a.activity_id
WHERE a.activity_id = $activity_id AND {{ macros/may_read_text.sql }}
ORDER BY t.turn_no
