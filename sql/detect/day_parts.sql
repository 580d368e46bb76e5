-- The day's events grouped once by account, session, network, address, device, browser and
-- service flag, with partial counters (local hours as a 24-bit mask): the one pass over every
-- event of the day that both the baselines (sql/baselines/account_daily.sql, rolled up per
-- account) and the rules' day_sessions (sql/detect/day_context.sql, rolled up per session)
-- read, instead of each grouping the day's millions of rows again. Built by
-- transforms/detect/dayset.py (parts()) from day_activity_hours.
create or replace temp table day_parts as
select
    user_id, session_id, net, src_prefix, src_ip, device_id, user_agent, is_service,
    bit_or(1 << hour(local_time)) as hours,
    any_value(user_sub) filter (where user_sub is not null) as user_sub,
    any_value(org_siret) as org_siret,
    any_value(org_type) as org_type,
    arg_max(user_roles, event_time) as roles,
    max(event_time) filter (where user_roles is not null) as roles_time,
    count(*) as events,
    count(*) filter (where is_read) as reads,
    count(*) filter (where is_read and not coalesce(in_portfolio, true)) as reads_out_of_portfolio,
    count(*) filter (where is_read and coalesce(contains_nir, false)) as nir_reads,
    count(*) filter (where is_read and off_hours) as off_hours_reads,
    sum(records_touched) filter (where event_category = 'search') as list_rows,
    count(*) filter (where is_structure_list) as structure_lists,
    sum(records_touched) filter (where event_category = 'export') as export_rows,
    min(event_time) as first_event,
    max(event_time) as last_event,
    count(*) filter (where event_type in ('USER_CREATE', 'USER_INVITE') and outcome = 'success')
        as accounts_created,
    count(*) filter (where event_type in ('USER_ROLE_GRANT', 'USER_SCOPE_CHANGE') and outcome = 'success')
        as role_grants,
    count(*) filter (where event_category = 'admin' and off_hours) as off_hours_admin,
    -- for day_sessions
    bool_and(not is_mfa) as password_only,
    bool_or(event_type in ('SESSION_CREATED', 'LOGIN_CALLBACK_SUCCESS')) as has_login,
    min(event_time) filter (where event_type in ('LOGOUT', 'SESSION_EXPIRED')) as ended_at
from day_activity_hours
group by user_id, session_id, net, src_prefix, src_ip, device_id, user_agent, is_service
