-- One row per message x rep x week since launch with conversations in scope (queries/usage_calls.sql, same filters;
-- negative weeks: before launch): conversations, those in which the rep used the message, those used where the
-- source has no speakers (n_used_unknown_speaker), and both counted from the day the rep certified.
SELECT c.message_id, c.message_name, c.rep_id, c.rep_name, c.team, c.region, c.manager, c.weeks_since_launch,
       count(*) AS n_calls,
       count(*) FILTER (WHERE c.is_used) AS n_used,
       count(*) FILTER (WHERE c.is_used AND NOT c.is_by_rep) AS n_used_unknown_speaker,
       count(*) FILTER (WHERE c.is_after_certified) AS n_calls_certified,
       count(*) FILTER (WHERE c.is_after_certified AND c.is_used) AS n_used_certified
FROM ({{ queries/usage_calls.sql }}) AS c
GROUP BY ALL
ORDER BY c.message_id, c.rep_id, c.weeks_since_launch
