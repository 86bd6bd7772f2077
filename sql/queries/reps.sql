-- One row per rep: roster attributes, whether on the roster, and how many deals, attempts and notes are theirs.
SELECT r.rep_id, r.rep_name, r.rep_email, r.team, r.region, r.manager, r.in_roster,
       (SELECT count(*) FROM opportunities o WHERE o.rep_id = r.rep_id) AS n_deals,
       (SELECT count(*) FROM quiz_attempts q WHERE q.rep_id = r.rep_id) AS n_attempts,
       (SELECT count(*) FROM feedback f WHERE f.rep_id = r.rep_id) AS n_feedback
FROM reps r
WHERE NOT $unmatched_only OR NOT r.in_roster
ORDER BY r.in_roster, r.rep_name
