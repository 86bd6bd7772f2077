-- Macro: the viewer may read the words and names of an activity alias `a`: $text_all (admin, ops), or its rep is one of $text_rep_ids (a manager's own team); everyone else sees aggregates and anonymous snippets (analytics.views.field.text_access).
($text_all OR a.rep_id IN (SELECT unnest($text_rep_ids::VARCHAR[])))
