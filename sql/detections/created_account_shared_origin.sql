-- A newly created account whose first logins come from its creator's own browser (same
-- ProConnect browsingSessionId) or from the creator's IP when that IP is not a shared egress
-- (office NAT, VPN, mobile carrier): the manager, or whoever holds the manager's session,
-- is using the accounts it created. Onboarded staff log in from their site's office: passes.
with created as (
    select * from account_creations
    where event_date > $event_date::date - to_days($lookback_days) and event_date <= $event_date
),
-- accounts' ProConnect subject and organisation, from the daily profiles (small) not the events
accounts as (
    select user_id, any_value(user_sub) filter (where user_sub is not null) as user_sub,
        any_value(org_siret) as org_siret
    from account_daily
    where event_date > $event_date::date - ($lookback_days + 28) and event_date <= $event_date
      -- only the created accounts and their creators are looked up
      and user_id in (select user_id from created union select creator_user_id from created)
    group by user_id
),
-- the logins of those accounts only, aggregated once for both uses below (a lake with weeks of
-- ProConnect events made this rule read and group them twice: 1.0 s on a fresh 10M-event lake,
-- 9.1 s on a 90-day one)
logins as materialized (
    select user_sub, started_at, browsing_session_id, verified, src_ip
    from pc_logins_between($event_date::date - ($lookback_days + 1), $event_date)
    where user_sub in (select user_sub from accounts)
),
creator_browsers as (
    select c.user_id, c.creator_user_id, list(distinct l.browsing_session_id) as browsers
    from created c
    join accounts ca on ca.user_id = c.creator_user_id
    join logins l on l.user_sub = ca.user_sub
        and l.started_at between c.created_at - interval 12 hour and c.created_at
    group by all
),
first_logins as (
    select a.user_id, l.*
    from accounts a
    join created c using (user_id)
    join logins l on l.user_sub = a.user_sub and l.verified and l.started_at >= c.created_at
    where l.started_at::date = $event_date
),
matched as (
    select f.user_id, c.creator_user_id, c.creator_ip, f.src_ip, f.browsing_session_id, f.started_at,
        list_contains(coalesce(b.browsers, []), f.browsing_session_id) as same_browser,
        f.src_ip = c.creator_ip and coalesce(c.creator_net_tag, '') not in ('office', 'vpn', 'mobile')
            as same_private_ip
    from first_logins f
    join created c using (user_id)
    left join creator_browsers b using (user_id)
)
select
    'user' as entity_type, m.user_id as entity_id, m.user_id, any_value(a.org_siret) as org_siret,
    min(m.started_at) as first_seen, max(m.started_at) as last_seen,
    case when bool_or(m.same_browser) then 'critical' else 'high' end as severity,
    list(distinct m.src_ip) as ips,
    list(distinct m.browsing_session_id) filter (where m.same_browser) as browsing_session_ids,
    [any_value(m.creator_user_id)] as related_user_ids,
    coalesce((select list(distinct x.session_id) from day_activity x
              where x.user_id = m.user_id), []) as session_ids,
    to_json({'creator': any_value(m.creator_user_id), 'same_browser': bool_or(m.same_browser),
             'same_private_ip': bool_or(m.same_private_ip), 'creator_ip': any_value(m.creator_ip)}) as metrics
from matched m
left join accounts a using (user_id)
where m.same_browser or m.same_private_ip
group by m.user_id
