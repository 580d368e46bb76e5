-- A campaign across accounts: several accounts of unrelated structures start reading out of
-- portfolio from the same infrastructure within days, and that infrastructure is rare in the
-- lake: the accounts that used it over the trailing weeks are mostly those very readers.
-- Infrastructure is a network prefix (/24, /64) that is not an office, VPN, mobile carrier or
-- SP back-end, an exact user-agent string, or a device id. Each account may stay under every
-- single-account threshold; what is flagged is the shared origin. No fixed rarity constant:
-- a browser build rolled out to everyone, a home ISP or a site NAT has many other users in
-- account_daily (its baseline), so the readers are a small share of them and nothing links.
-- Only the trailing window's app_events partitions and the history's account_daily are read.
with window_reads as (
    select user_id, org_siret, session_id, src_prefix, user_agent, device_id, event_time,
           not coalesce(in_portfolio, true) as out_of_portfolio
    from app_actions
    where event_date > $event_date::date - to_days($window_days) and event_date <= $event_date
      and is_read and not is_service
      and coalesce(src_net_tag, '') not in ('office', 'vpn', 'mobile', 'sp_backend')
),
keyed as (
    select user_id, org_siret, session_id, event_time, out_of_portfolio, 'prefix:' || src_prefix as infra
    from window_reads where src_prefix is not null
    union all
    select user_id, org_siret, session_id, event_time, out_of_portfolio, 'ua:' || user_agent
    from window_reads where user_agent is not null
    union all
    select user_id, org_siret, session_id, event_time, out_of_portfolio, 'device:' || device_id
    from window_reads where device_id is not null
),
-- an account reading mostly out of portfolio from one piece of infrastructure in the window
readers as (
    select infra, user_id, any_value(org_siret) as org_siret,
           count(*) filter (where out_of_portfolio) as reads_out, count(*) as reads,
           min(event_time) as first_seen, max(event_time) as last_seen,
           list(distinct session_id order by session_id) filter (where out_of_portfolio) as session_ids,
           bool_or(event_time::date = $event_date) as active_today
    from keyed
    group by infra, user_id
    having count(*) filter (where out_of_portfolio) >= $min_reads_out
       and count(*) filter (where out_of_portfolio) >= $min_share * count(*)
),
-- the baseline: every account that used the infrastructure over the trailing weeks
history as (
    select 'prefix:' || unnest(prefixes) as infra, user_id from account_daily
    where event_date > $event_date::date - to_days($history_days) and event_date <= $event_date
    union
    select 'ua:' || unnest(user_agents), user_id from account_daily
    where event_date > $event_date::date - to_days($history_days) and event_date <= $event_date
    union
    select 'device:' || unnest(devices), user_id from account_daily
    where event_date > $event_date::date - to_days($history_days) and event_date <= $event_date
),
-- the account started using it in the window: it is not in its history before the window
started as (
    select r.* from readers r
    where not exists (
        select 1 from account_daily h
        where h.user_id = r.user_id
          and h.event_date > $event_date::date - to_days($history_days)
          and h.event_date <= $event_date::date - to_days($window_days)
          and case split_part(r.infra, ':', 1)
                when 'prefix' then list_contains(h.prefixes, substr(r.infra, 8))
                when 'ua' then list_contains(h.user_agents, substr(r.infra, 4))
                else list_contains(h.devices, substr(r.infra, 8)) end)
),
campaigns as (
    select infra, count(*) as accounts, count(distinct org_siret) as orgs, bool_or(active_today) as active_today,
           list(user_id order by user_id) as account_ids
    from started group by infra
    having count(*) >= 2 and count(distinct org_siret) >= 2
),
rare as (
    select c.*, (select count(distinct h.user_id) from history h where h.infra = c.infra) as users_in_history
    from campaigns c
    where c.active_today
),
flagged as (
    select s.*, r.accounts, r.orgs, r.users_in_history, r.account_ids
    from started s join rare r using (infra)
    -- rare: the campaign's readers are most of the accounts that ever used it in the history
    where r.accounts * 2 > r.users_in_history
)
select
    'user' as entity_type, user_id as entity_id, user_id, any_value(org_siret) as org_siret,
    min(first_seen) as first_seen, max(last_seen) as last_seen,
    list_sort(list_distinct(flatten(list(session_ids)))) as session_ids,
    to_json({'infrastructure': list(infra order by infra),
             'campaign_accounts': max(accounts), 'campaign_orgs': max(orgs),
             'accounts_in_history': max(users_in_history), 'reads_out_of_portfolio': max(reads_out),
             'window_days': $window_days, 'history_days': $history_days}) as metrics
from flagged
group by user_id
