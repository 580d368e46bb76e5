-- One row per app session: who, when, from which networks and browsers, how much it read.
create or replace view app_sessions as
select
    session_id,
    any_value(user_id) as user_id,
    any_value(user_sub) as user_sub,
    any_value(org_siret) as org_siret,
    any_value(org_type) as org_type,
    any_value(user_roles) as user_roles,
    min(event_time) as first_seen,
    max(event_time) as last_seen,
    count(*) as events,
    count(*) filter (where is_read) as reads,
    count(distinct beneficiary_ref) filter (where is_read) as distinct_beneficiaries,
    count(*) filter (where is_read and not coalesce(in_portfolio, true)) as reads_out_of_portfolio,
    list(distinct net order by net) as nets,
    list(distinct src_prefix order by src_prefix) filter (where src_prefix is not null) as prefixes,
    list(distinct src_ip order by src_ip) as ips,
    list(distinct ua_key order by ua_key) as ua_keys,
    list(distinct device_id order by device_id) filter (where device_id is not null) as devices,
    bool_or(event_type in ('SESSION_CREATED', 'LOGIN_CALLBACK_SUCCESS')) as has_login,
    min(event_time) filter (where event_type in ('LOGOUT', 'SESSION_EXPIRED')) as ended_at,
    bool_and(not is_mfa) as password_only
from app_activity
group by session_id;
