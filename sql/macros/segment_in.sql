-- Macro: a deal alias `o`'s segment is one of $segments, case and outer spaces ignored (an empty list = every segment).
(coalesce(len($segments::VARCHAR[]), 0) = 0
       OR lower(trim(o.segment)) IN (SELECT lower(trim(s)) FROM unnest($segments::VARCHAR[]) AS t(s)))
