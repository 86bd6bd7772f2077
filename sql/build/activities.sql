-- One row per activity in `src` (versions-shaped rows): rep resolved once per distinct (email, name, CRM user id),
-- the deal once per distinct reference: an opportunity id as the source wrote it (without the CRM format's key
-- prefix; a Salesforce 18-character id also matches its 15-character form), else an opportunity name that only one
-- opportunity has.
WITH people AS (
    SELECT p.rep_email, p.rep_name, p.rep_crm_id, coalesce(ae.rep_id, ac.rep_id, an.rep_id) AS rep_id
    FROM (SELECT DISTINCT rep_email, rep_name, rep_crm_id FROM src) p
    LEFT JOIN rep_aliases ae ON ae.alias_key = 'email:' || email_key(p.rep_email)
    LEFT JOIN rep_aliases ac ON ac.alias_key = 'crm:' || p.rep_crm_id
    LEFT JOIN rep_aliases an ON an.alias_key = 'name:' || name_key(p.rep_name)
), refs AS (
    SELECT deal_ref,
           CASE WHEN regexp_full_match(deal_ref, '[a-zA-Z0-9]{18}') AND NOT regexp_full_match(deal_ref, '[0-9]+')
                THEN left(deal_ref, 15) ELSE deal_ref END AS id_key
    FROM (SELECT DISTINCT deal_ref FROM src WHERE deal_ref IS NOT NULL)
), opp_ids AS (
    SELECT id_key, min(opportunity_id) AS opportunity_id, count(*) AS n
    FROM (SELECT opportunity_id,
                 CASE WHEN regexp_full_match(x, '[a-zA-Z0-9]{18}') AND NOT regexp_full_match(x, '[0-9]+')
                      THEN left(x, 15) ELSE x END AS id_key
          FROM (SELECT opportunity_id, substr(opportunity_id, strpos(opportunity_id, ':') + 1) AS x FROM opportunities))
    GROUP BY id_key
), opp_names AS (
    SELECT text_key(opportunity_name) AS name_key, min(opportunity_id) AS opportunity_id, count(*) AS n
    FROM opportunities WHERE opportunity_name IS NOT NULL GROUP BY 1
), deals AS (
    SELECT r.deal_ref, coalesce(CASE WHEN i.n = 1 THEN i.opportunity_id END,
                                CASE WHEN m.n = 1 THEN m.opportunity_id END) AS opportunity_id
    FROM refs r
    LEFT JOIN opp_ids i ON i.id_key = r.id_key
    LEFT JOIN opp_names m ON m.name_key = text_key(r.deal_ref)
)
SELECT a.activity_id, p.rep_id, d.opportunity_id, a.activity_type, a.activity_at, a.activity_at::DATE AS activity_date,
       a.title, a.duration_s, a.body,
       CASE WHEN a.body IS NULL THEN 0 ELSE len(string_split_regex(trim(a.body), '\s+')) END AS n_words,
       a.rep_email, a.rep_name, a.rep_crm_id, a.deal_ref, a.source_file, a.upload_id, a.row_hash, a.source_key
FROM src a
LEFT JOIN people p ON p.rep_email IS NOT DISTINCT FROM a.rep_email AND p.rep_name IS NOT DISTINCT FROM a.rep_name
                  AND p.rep_crm_id IS NOT DISTINCT FROM a.rep_crm_id
LEFT JOIN deals d ON d.deal_ref = a.deal_ref
