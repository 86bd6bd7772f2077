-- Macro: a message's launch date over a messages alias `m`; a message without one counts as launched at its first quiz attempt.
coalesce(m.launch_date, (SELECT min(q.attempted_at)::DATE FROM quiz_attempts q WHERE q.message_id = m.message_id))
