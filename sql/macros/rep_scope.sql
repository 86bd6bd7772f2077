-- Macro: the shared sidebar's rep scope over a reps alias `r` ($teams, $regions, $managers: empty = all; $rep_ids: NULL = every rep, a list = only those reps, e.g. a manager's own team).
(coalesce(len($teams::VARCHAR[]), 0) = 0 OR r.team IN (SELECT unnest($teams::VARCHAR[])))
  AND (coalesce(len($regions::VARCHAR[]), 0) = 0 OR r.region IN (SELECT unnest($regions::VARCHAR[])))
  AND (coalesce(len($managers::VARCHAR[]), 0) = 0 OR r.manager IN (SELECT unnest($managers::VARCHAR[])))
  AND ($rep_ids IS NULL OR r.rep_id IN (SELECT unnest($rep_ids::VARCHAR[])))
