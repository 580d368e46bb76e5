-- A session from a device AND a network the account never used in 28 days, authenticated by
-- password only, that goes straight to bulk reading (the infostealer pattern). Travel, home
-- work and new laptops each change one of these, not all four. Cold start: an account with
-- fewer than $min_history_days of history is left to the volume and account-manager rules.
-- Sessions that can qualify (password only, at least $bulk_floor reads) are found first;
-- the lists and distinct counts are computed for those only.
with candidates as (
    select session_id from day_sessions where password_only and reads >= $bulk_floor  -- non-service events
),
sessions as (
    select session_id, any_value(user_id) as user_id, any_value(org_siret) as org_siret,
        list(distinct device_id) filter (where device_id is not null) as devices, list(distinct net) as nets,
        list(distinct src_ip) as ips, bool_and(not is_mfa) as password_only,
        count(distinct beneficiary_ref) filter (where is_read) as distinct_beneficiaries,
        min(event_time) as first_seen, max(event_time) as last_seen
    from day_activity
    where not is_service and session_id in (select session_id from candidates)
    group by session_id
),
-- the devices and networks of account_history($event_date), for these accounts only
known as (
    select user_id, flatten(list(nets)) as nets, flatten(list(devices)) as devices
    from account_daily
    where event_date >= $event_date::date - to_days(28) and event_date < $event_date::date
      and user_id in (select user_id from sessions)
    group by user_id
)
select
    'session' as entity_type, s.session_id as entity_id, s.user_id, s.org_siret, s.first_seen, s.last_seen,
    'critical' as severity,
    [s.session_id] as session_ids,
    s.ips,
    to_json({'distinct_beneficiaries': s.distinct_beneficiaries, 'devices': list_sort(s.devices), 'networks': list_sort(s.nets),
             'known_devices': len(list_distinct(k.devices)), 'known_networks': list_sort(list_distinct(k.nets)),
             'history_days': h.active_days}) as metrics
from sessions s
join day_history h using (user_id)
join known k using (user_id)
where h.active_days >= $min_history_days
  and s.password_only
  and s.distinct_beneficiaries >= $bulk_floor
  and len(list_intersect(s.devices, k.devices)) = 0
  and len(list_intersect(s.nets, k.nets)) = 0
