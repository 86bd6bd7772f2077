-- One row per opportunity in `src` (versions-shaped rows), owner resolved to a rep and message tag to a message.
SELECT o.opportunity_id, o.opportunity_name, o.account_name,
       coalesce(ae.rep_id, ac.rep_id, an.rep_id) AS rep_id,
       o.owner_name, o.owner_email, o.owner_crm_id,
       o.stage, o.outcome, o.outcome <> 'open' AS is_closed, o.outcome = 'won' AS is_won,
       o.amount, o.currency, o.created_date, o.close_date, o.segment, o.deal_type, o.lead_source, o.product,
       o.message_tag, ma.message_id, o.upload_id, o.row_hash
FROM src o
LEFT JOIN rep_aliases ae ON ae.alias_key = 'email:' || email_key(o.owner_email)
LEFT JOIN rep_aliases ac ON ac.alias_key = 'crm:' || o.owner_crm_id
LEFT JOIN rep_aliases an ON an.alias_key = 'name:' || name_key(o.owner_name)
LEFT JOIN message_aliases ma ON ma.alias_key = text_key(o.message_tag)
