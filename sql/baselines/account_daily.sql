-- One account's profile for one day: what it read, when, from where, with what.
-- Written to lake/account_daily/event_date=D/ one day at a time; rules compare a day with the
-- trailing 28 days of these rows (the account's own history) and with its peers.
-- Reads day_parts, day_activity and day_agents (transforms/detect/dayset.py). The day's events
-- are read in two passes: day_parts groups them by account, session, network, address, device,
-- browser and service flag with partial counters (and the local hours as a 24-bit mask; the
-- rules' day_sessions is rolled up from the same set), the other by account and beneficiary;
-- the profile is rolled up from those small sets, so no distinct aggregate runs over every event.
with profiles as (
    select
        p.user_id,
        any_value(p.user_sub) filter (where p.user_sub is not null) as user_sub,
        any_value(p.org_siret) as org_siret,
        any_value(p.org_type) as org_type,
        array_to_string(list_sort(arg_max(p.roles, p.roles_time)), '+') as role_key,
        bool_or(p.is_service) as is_service,
        sum(p.events)::bigint as events,
        sum(p.reads)::bigint as reads,
        sum(p.reads_out_of_portfolio)::bigint as reads_out_of_portfolio,
        sum(p.nir_reads)::bigint as nir_reads,
        sum(p.off_hours_reads)::bigint as off_hours_reads,
        coalesce(sum(p.list_rows), 0) as list_rows,
        sum(p.structure_lists)::bigint as structure_lists,
        coalesce(sum(p.export_rows), 0) as export_rows,
        bit_count(bit_or(p.hours))::bigint as active_hours,
        min(p.first_event) as first_event,
        max(p.last_event) as last_event,
        -- in order: list(distinct ...) has none, and a re-run of the day must give the same file
        list(distinct p.net order by p.net) as nets,
        list(distinct p.src_prefix order by p.src_prefix) filter (where p.src_prefix is not null) as prefixes,
        list(distinct p.src_ip order by p.src_ip) as ips,
        list(distinct p.device_id order by p.device_id) filter (where p.device_id is not null) as devices,
        list(distinct u.ua_key order by u.ua_key) as ua_keys,
        -- the exact strings: a rare browser build is infrastructure (campaign_shared_infrastructure)
        list(distinct p.user_agent order by p.user_agent) filter (where p.user_agent is not null) as user_agents,
        list(distinct p.session_id order by p.session_id) as sessions,
        sum(p.accounts_created)::bigint as accounts_created,
        sum(p.role_grants)::bigint as role_grants,
        sum(p.off_hours_admin)::bigint as off_hours_admin
    from day_parts p
    left join day_agents u on u.user_agent is not distinct from p.user_agent
    group by p.user_id
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
)
select
    p.user_id,
    p.user_sub,
    p.org_siret,
    p.org_type,
    p.role_key,
    p.is_service,
    p.events,
    p.reads,
    coalesce(b.distinct_beneficiaries, 0) as distinct_beneficiaries,
    p.reads_out_of_portfolio,
    coalesce(b.distinct_out_of_portfolio, 0) as distinct_out_of_portfolio,
    p.nir_reads,
    p.off_hours_reads,
    p.list_rows,
    p.structure_lists,
    p.export_rows,
    p.active_hours,
    p.first_event,
    p.last_event,
    p.nets,
    p.prefixes,
    p.ips,
    p.devices,
    p.ua_keys,
    p.sessions,
    p.accounts_created,
    p.role_grants,
    p.off_hours_admin,
    coalesce(p.user_agents, []) as user_agents
from profiles p
left join beneficiaries b using (user_id)
order by p.user_id  -- one order, so that a re-run of the day gives the same file
