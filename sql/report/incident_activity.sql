-- What an incident's sessions did up to $day, in the networks its findings named for each
-- session (so the owner's own work in a replayed session is not counted): volumes, sources,
-- browsers and time window. One row; $sessions and $nets come from the incident's findings.
with scope as (
    select unnest($sessions::varchar[]) as session_id, unnest($nets::varchar[][]) as nets
),
acts as (
    select a.*
    from report_session_events a  -- app_activity of the day's incidents' sessions (_incident_events.sql)
    join scope s on a.session_id = s.session_id and (len(s.nets) = 0 or list_contains(s.nets, a.net))
    where a.event_date <= $day::date
)
select
    count(*) as events,
    count(*) filter (where is_read) as reads,
    count(distinct beneficiary_ref) filter (where is_read) as distinct_read,
    count(*) filter (where is_read and coalesce(contains_nir, false)) as nir_reads,
    count(*) filter (where event_type = 'BENEFICIARY_NIR_REVEAL') as nir_reveals,
    count(*) filter (where is_read and not coalesce(in_portfolio, true)) as out_of_portfolio_reads,
    count(*) filter (where is_read and off_hours) as off_hours_reads,
    coalesce(sum(records_touched) filter (where event_category = 'search'), 0)::bigint as list_rows,
    coalesce(sum(records_touched) filter (where event_category = 'export'), 0)::bigint as export_rows,
    count(*) filter (where event_type in ('USER_CREATE', 'USER_INVITE') and outcome = 'success') as accounts_created,
    list(distinct target_user_id order by target_user_id)
        filter (where event_type in ('USER_CREATE', 'USER_INVITE') and target_user_id is not null) as created_accounts,
    count(*) filter (where event_type in ('USER_ROLE_GRANT', 'USER_SCOPE_CHANGE')) as role_grants,
    min(local_time) as first_local,
    max(local_time) as last_local,
    count(distinct event_date) as active_days,
    list(distinct coalesce(ua_family, 'unknown') order by coalesce(ua_family, 'unknown')) as ua_families,
    arg_max(user_agent, event_time) as last_user_agent,
    list(distinct ua_key order by ua_key) as ua_keys,
    count(distinct device_id) as devices,
    list(distinct org_type order by org_type) filter (where org_type is not null) as org_types,
    list(distinct array_to_string(list_sort(user_roles), '+') order by array_to_string(list_sort(user_roles), '+')) filter (where user_roles is not null) as roles
from acts
