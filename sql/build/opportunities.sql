-- One row per opportunity in `src` (versions-shaped rows), owner resolved to a rep and message tag to a message.
-- Keys are normalized once per distinct owner / tag, not once per deal.
WITH owners AS (
    SELECT DISTINCT owner_email, owner_name, owner_crm_id FROM src
), owner_reps AS (
    SELECT w.*, coalesce(ae.rep_id, ac.rep_id, an.rep_id) AS rep_id
    FROM owners w
    LEFT JOIN rep_aliases ae ON ae.alias_key = 'email:' || email_key(w.owner_email)
    LEFT JOIN rep_aliases ac ON ac.alias_key = 'crm:' || w.owner_crm_id
    LEFT JOIN rep_aliases an ON an.alias_key = 'name:' || name_key(w.owner_name)
), tags AS (
    SELECT t.message_tag, ma.message_id
    FROM (SELECT DISTINCT message_tag FROM src WHERE message_tag IS NOT NULL) t
    LEFT JOIN message_aliases ma ON ma.alias_key = text_key(t.message_tag)
)
SELECT o.opportunity_id, o.opportunity_name, o.account_name, w.rep_id,
       o.owner_name, o.owner_email, o.owner_crm_id,
       o.stage, o.outcome, o.outcome <> 'open' AS is_closed, o.outcome = 'won' AS is_won,
       o.amount, o.currency, o.created_date, o.close_date, o.segment, o.deal_type, o.lead_source, o.product,
       o.message_tag, t.message_id, o.upload_id, o.row_hash, o.source_key
FROM src o
LEFT JOIN owner_reps w ON w.owner_email IS NOT DISTINCT FROM o.owner_email
                      AND w.owner_name IS NOT DISTINCT FROM o.owner_name
                      AND w.owner_crm_id IS NOT DISTINCT FROM o.owner_crm_id
LEFT JOIN tags t ON t.message_tag = o.message_tag
