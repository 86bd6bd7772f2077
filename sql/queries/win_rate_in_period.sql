-- One row: closed deals (won, lost) with a close date in [$start, $end], for the shared sidebar filters. Deals whose
-- owner is not matched to a rep count only while no rep filter (team, region, manager, visible reps) is set.
-- Win rate = won / (won + lost); open deals never count.
SELECT count(*) AS n_closed,
       count(*) FILTER (WHERE o.outcome = 'won') AS n_won,
       count(*) FILTER (WHERE o.outcome = 'lost') AS n_lost
FROM opportunities o
LEFT JOIN reps r ON r.rep_id = o.rep_id
WHERE o.outcome IN ('won', 'lost') AND o.close_date IS NOT NULL
  AND ($start IS NULL OR o.close_date >= $start::DATE)
  AND ($end IS NULL OR o.close_date <= $end::DATE)
  AND {{ macros/segment_in.sql }}
  AND {{ macros/rep_scope.sql }}
