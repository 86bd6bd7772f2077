-- One row per closed deal x message whose target segment it matches (every deal when the message has none),
-- before and after launch; is_in_scope marks deals closed on or after launch, is_adopted those in scope whose
-- owner passed the message's certification on or before the close date. Deals whose owner is not matched
-- to a rep are left out (their certification is unknown). deal_key: hash of opportunity_id, as in queries/closed_deals.sql.
-- Filters: $message_id (NULL = every message), and the deal filters of queries/closed_deals.sql, included below
-- so that both queries hold the same deals: $as_of, $date_from, $date_to, $segments, $teams, $regions, $managers,
-- $rep_ids (NULL or an empty list = no filter; $rep_ids NULL = every rep).
WITH launches AS (
    SELECT message_id, message_name, target_segment, launch_date
    FROM ({{ marts/dim_messages.sql }}) AS m
    WHERE $message_id IS NULL OR m.message_id = $message_id
),
certified AS (
    SELECT rep_id, message_id, min(attempted_at) AS certified_at
    FROM quiz_attempts
    WHERE passed AND rep_id IS NOT NULL AND message_id IS NOT NULL
    GROUP BY rep_id, message_id
),
deals AS (
    {{ queries/closed_deals.sql }}
)
SELECT
    d.opportunity_id, hash(d.opportunity_id) AS deal_key, l.message_id, d.rep_id, d.team, d.region, d.manager,
    d.segment, d.amount, d.deal_type,
    d.close_date, d.is_won, l.launch_date,
    d.close_date >= l.launch_date AS is_in_scope,
    c.certified_at,
    coalesce(d.close_date >= l.launch_date AND c.certified_at::DATE <= d.close_date, false) AS is_adopted,
    coalesce(d.tagged_message_id = l.message_id, false) AS is_tagged
FROM deals d
JOIN launches l
  ON l.target_segment IS NULL OR lower(trim(d.segment)) = lower(trim(l.target_segment))
LEFT JOIN certified c ON c.rep_id = d.rep_id AND c.message_id = l.message_id
