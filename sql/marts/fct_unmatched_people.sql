-- One row per person seen in CRM, quiz or feedback data who matches no roster rep (reps.in_roster = false),
-- plus one row per owner name that could not be resolved at all (rep_id NULL, e.g. a name shared by two people).
WITH counts AS (
    SELECT rep_id, count(*) AS n_deals, 0 AS n_attempts, 0 AS n_feedback FROM opportunities GROUP BY rep_id
    UNION ALL
    SELECT rep_id, 0, count(*), 0 FROM quiz_attempts GROUP BY rep_id
    UNION ALL
    SELECT rep_id, 0, 0, count(*) FROM feedback GROUP BY rep_id
), per_rep AS (
    SELECT rep_id, sum(n_deals)::BIGINT AS n_deals, sum(n_attempts)::BIGINT AS n_attempts,
           sum(n_feedback)::BIGINT AS n_feedback
    FROM counts WHERE rep_id IS NOT NULL GROUP BY rep_id
), aliases AS (
    SELECT rep_id,
           list(substr(alias_key, 6) ORDER BY alias_key) FILTER (WHERE alias_key LIKE 'name:%') AS name_keys,
           list(substr(alias_key, 7) ORDER BY alias_key) FILTER (WHERE alias_key LIKE 'email:%') AS emails
    FROM rep_aliases GROUP BY rep_id
)
SELECT * FROM (
SELECT r.rep_id, r.rep_name AS name, r.rep_email AS email, p.n_deals, p.n_attempts, p.n_feedback,
       coalesce(a.name_keys, []) AS name_keys, coalesce(a.emails, []) AS emails, false AS is_ambiguous
FROM reps r
JOIN per_rep p USING (rep_id)
LEFT JOIN aliases a USING (rep_id)
WHERE NOT coalesce(r.in_roster, false)
UNION ALL
SELECT NULL, o.owner_name, NULL, count(*), 0, 0, [name_key(o.owner_name)], [], true
FROM opportunities o
WHERE o.rep_id IS NULL AND o.owner_name IS NOT NULL
GROUP BY o.owner_name
)
ORDER BY n_deals + n_attempts + n_feedback DESC, name
