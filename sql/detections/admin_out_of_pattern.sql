-- Account creations and role grants outside the manager's pattern: at night or at the weekend,
-- or from a network the manager never used in 28 days. Volume alone is not enough (an RGC
-- onboards a new site's 10-30 accounts in one morning from the office).
-- Cold start: a manager with no history is judged on the hour only.
with admin as (
    select user_id, session_id, any_value(org_siret) as org_siret, list(distinct net) as nets,
        list(distinct src_ip) as ips,
        count(*) filter (where event_type in ('USER_CREATE', 'USER_INVITE')) as created,
        count(*) filter (where event_type in ('USER_ROLE_GRANT', 'USER_SCOPE_CHANGE')) as grants,
        list(distinct target_user_id) filter (where event_type in ('USER_CREATE', 'USER_INVITE')) as created_ids,
        bool_or(off_hours) as off_hours, min(event_time) as first_seen, max(event_time) as last_seen
    from day_activity_hours
    where event_category = 'admin' and outcome = 'success'
      and event_type in ('USER_CREATE', 'USER_INVITE', 'USER_ROLE_GRANT', 'USER_SCOPE_CHANGE')
    group by user_id, session_id
),
-- the networks of account_history($event_date), for these managers only
known_nets as (
    select user_id, flatten(list(nets)) as nets
    from account_daily
    where event_date >= $event_date::date - to_days(28) and event_date < $event_date::date
      and user_id in (select user_id from admin)
    group by user_id
),
judged as (
    select a.*, coalesce(h.active_days, 0) as history_days,
        coalesce(h.active_days, 0) >= 1 and len(list_intersect(a.nets, k.nets)) = 0 as new_network,
        coalesce(h.days_with_off_hours_admin, 0) as past_off_hours_admin_days
    from admin a left join day_history h using (user_id) left join known_nets k using (user_id)
)
select
    'user' as entity_type, user_id as entity_id, user_id, org_siret, first_seen, last_seen,
    case when off_hours and new_network then 'high' else 'medium' end as severity,
    [session_id] as session_ids, ips, coalesce(created_ids, []) as related_user_ids,
    to_json({'accounts_created': created, 'role_grants': grants, 'off_hours': off_hours,
             'new_network': new_network, 'networks': list_sort(nets), 'history_days': history_days}) as metrics
from judged
where (off_hours and past_off_hours_admin_days = 0) or new_network
