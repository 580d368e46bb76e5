-- The chain no public rule covers: an account created within the last $lookback_days that
-- already reads in bulk (distinct beneficiaries or structure-wide lists). New staff of an
-- onboarded site read their portfolio at a human scale. Critical when the creation itself
-- was out of the manager's pattern (night, new network).
with created as (
    select user_id, min(created_at) as created_at, arg_min(creator_user_id, created_at) as creator_user_id,
        bool_or(is_off_hours(created_at)) as created_off_hours
    from account_creations
    where event_date > $event_date::date - to_days($lookback_days) and event_date <= $event_date
    group by user_id
),
today as (
    select d.*, c.created_at, c.creator_user_id, c.created_off_hours
    from account_daily d join created c using (user_id)
    where d.event_date = $event_date
      and (d.distinct_beneficiaries >= $bulk_floor or d.list_rows >= $list_floor)
)
select
    'user' as entity_type, user_id as entity_id, user_id, org_siret, first_event as first_seen,
    last_event as last_seen,
    case when created_off_hours or nir_reads > 0 then 'critical' else 'high' end as severity,
    sessions as session_ids,
    [creator_user_id] as related_user_ids,
    to_json({'created_at': created_at, 'creator': creator_user_id, 'distinct_beneficiaries': distinct_beneficiaries,
             'list_rows': list_rows, 'nir_reads': nir_reads, 'days_since_creation':
             date_diff('day', created_at::date, $event_date::date)}) as metrics
from today
