-- One account's profile for one day: what it read, when, from where, with what.
-- Written to lake/account_daily/event_date=D/ one day at a time; rules compare a day with the
-- trailing 28 days of these rows (the account's own history) and with its peers.
-- Reads day_activity and day_agents: app_activity of the day and its user agents' families
-- (transforms/detect/dayset.py). Distinct counts and lists are taken over small pre-grouped
-- sets (one row per account and beneficiary; one row per account, session, network, address,
-- device, browser and hour) rather than as many distinct aggregates over every event.
with counters as (
    select
        user_id,
        any_value(user_sub) filter (where user_sub is not null) as user_sub,
        any_value(org_siret) as org_siret,
        any_value(org_type) as org_type,
        array_to_string(list_sort(arg_max(user_roles, event_time)), '+') as role_key,
        bool_or(is_service) as is_service,
        count(*) as events,
        count(*) filter (where is_read) as reads,
        count(*) filter (where is_read and not coalesce(in_portfolio, true)) as reads_out_of_portfolio,
        count(*) filter (where is_read and coalesce(contains_nir, false)) as nir_reads,
        count(*) filter (where is_read and off_hours) as off_hours_reads,
        coalesce(sum(records_touched) filter (where event_category = 'search'), 0) as list_rows,
        count(*) filter (where is_structure_list) as structure_lists,
        coalesce(sum(records_touched) filter (where event_category = 'export'), 0) as export_rows,
        min(event_time) as first_event,
        max(event_time) as last_event,
        count(*) filter (where event_type in ('USER_CREATE', 'USER_INVITE') and outcome = 'success')
            as accounts_created,
        count(*) filter (where event_type in ('USER_ROLE_GRANT', 'USER_SCOPE_CHANGE') and outcome = 'success')
            as role_grants,
        count(*) filter (where event_category = 'admin' and off_hours) as off_hours_admin
    from day_activity
    group by user_id
),
beneficiaries as (
    select user_id, count(*) as distinct_beneficiaries,
        count(*) filter (where out_of_portfolio) as distinct_out_of_portfolio
    from (
        select user_id, beneficiary_ref, bool_or(not coalesce(in_portfolio, true)) as out_of_portfolio
        from day_activity
        where is_read and beneficiary_ref is not null
        group by user_id, beneficiary_ref
    )
    group by user_id
),
places as (
    select user_id, session_id, net, src_prefix, src_ip, device_id, user_agent, hour(local_time) as hour
    from day_activity
    group by all
),
lists as (
    select
        p.user_id,
        count(distinct p.hour) as active_hours,
        list(distinct p.net) as nets,
        list(distinct p.src_prefix) filter (where p.src_prefix is not null) as prefixes,
        list(distinct p.src_ip) as ips,
        list(distinct p.device_id) filter (where p.device_id is not null) as devices,
        list(distinct u.ua_key) as ua_keys,
        list(distinct p.session_id) as sessions
    from places p
    left join day_agents u on u.user_agent is not distinct from p.user_agent
    group by p.user_id
)
select
    c.user_id,
    c.user_sub,
    c.org_siret,
    c.org_type,
    c.role_key,
    c.is_service,
    c.events,
    c.reads,
    coalesce(b.distinct_beneficiaries, 0) as distinct_beneficiaries,
    c.reads_out_of_portfolio,
    coalesce(b.distinct_out_of_portfolio, 0) as distinct_out_of_portfolio,
    c.nir_reads,
    c.off_hours_reads,
    c.list_rows,
    c.structure_lists,
    c.export_rows,
    l.active_hours,
    c.first_event,
    c.last_event,
    l.nets,
    l.prefixes,
    l.ips,
    l.devices,
    l.ua_keys,
    l.sessions,
    c.accounts_created,
    c.role_grants,
    c.off_hours_admin
from counters c
join lists l using (user_id)
left join beneficiaries b using (user_id)
