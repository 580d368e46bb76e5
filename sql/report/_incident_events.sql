-- The app_activity rows every per-incident query of the report reads, read from the lake once
-- for all the day's incidents (transforms/report/collect.py) instead of once per incident and
-- query: every event up to $day of the incidents' sessions ($sessions), and every event of
-- their primary accounts ($accounts) in the $history_days days up to $day (charts).
create or replace temp table report_scope_sessions as
select distinct unnest($sessions::varchar[]) as session_id;

create or replace temp table report_scope_accounts as
select distinct unnest($accounts::varchar[]) as user_id;

create or replace temp table report_session_events as
select
    a.session_id, a.event_date, a.event_time, a.event_type, a.event_category, a.outcome, a.net, a.is_read,
    a.beneficiary_ref, a.contains_nir, a.in_portfolio, a.off_hours, a.records_touched, a.target_user_id,
    a.local_time, a.ua_family, a.user_agent, a.ua_key, a.device_id, a.org_type, a.user_roles,
    a.src_ip, a.src_asn, a.src_as_org, a.src_country, a.src_city, a.src_net_tag
from app_activity a
semi join report_scope_sessions s using (session_id)
where a.event_date <= $day::date;

create or replace temp table report_account_events as
select a.user_id, a.session_id, a.event_date, a.local_time, a.is_read, a.beneficiary_ref
from app_activity a
semi join report_scope_accounts s using (user_id)
where a.event_date between $day::date - to_days(greatest($history_days::int, 13)) and $day::date;
