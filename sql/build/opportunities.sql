-- One row per opportunity: latest version across active uploads, owner resolved to a rep, message tag resolved.
CREATE OR REPLACE TABLE opportunities AS
SELECT o.opportunity_id, o.opportunity_name, o.account_name,
       coalesce(ae.rep_id, ac.rep_id, an.rep_id) AS rep_id,
       coalesce(o.owner_name, o.owner_email, o.owner_crm_id) AS owner_name,
       o.stage, o.outcome, o.outcome <> 'open' AS is_closed, o.outcome = 'won' AS is_won,
       o.amount, o.currency, o.created_date, o.close_date, o.segment, o.deal_type, o.lead_source, o.product,
       ma.message_id, o.upload_id
FROM latest_opportunities() o
LEFT JOIN rep_aliases ae ON ae.alias_key = 'email:' || email_key(o.owner_email)
LEFT JOIN rep_aliases ac ON ac.alias_key = 'crm:' || o.owner_crm_id
LEFT JOIN rep_aliases an ON an.alias_key = 'name:' || name_key(o.owner_name)
LEFT JOIN message_aliases ma ON ma.alias_key = text_key(o.message_tag);
