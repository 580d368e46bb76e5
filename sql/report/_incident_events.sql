-- The app_activity rows every per-incident query of the report reads, read from the lake once
-- for all the day's incidents (transforms/report/collect.py) instead of once per incident and
-- query: every event of the incidents' sessions from the day before the earliest incident's first
-- day ($first_day, so only the partitions the incidents' window covers are read, not the lake's
-- whole history) up to $day, and every event of their primary
-- accounts in the $history_days days up to $day (charts). The sessions and accounts come as
-- literal lists (collect.py writes them in for $session_list and $account_list): a literal
-- list is tested as the lake's rows are read, where a join with a table of them went through
-- every row first (10M-event day: 8.6 -> 6.9 CPU-s for the two reads). The IN test is wrapped
-- in coalesce(..., false) (same rows: a null test drops the row either way) so that DuckDB
-- filters in the scan, reading the other columns only for the listed rows, instead of turning
-- the list into a join over every row's columns (the sessions' read: 5.5 -> 3.8 CPU-s).
create or replace temp table report_session_events as
select
    a.session_id, a.event_date, a.event_time, a.event_type, a.event_category, a.outcome, a.net, a.is_read,
    a.beneficiary_ref, a.contains_nir, a.in_portfolio, a.off_hours, a.records_touched, a.target_user_id,
    a.local_time, a.ua_family, a.user_agent, a.ua_key, a.device_id, a.org_type, a.user_roles,
    a.src_ip, a.src_asn, a.src_as_org, a.src_country, a.src_city, a.src_net_tag
from app_activity a
where coalesce(a.session_id in $session_list, false)
  and a.event_date between $first_day::date - 1 and $day::date;

create or replace temp table report_account_events as
select a.user_id, a.session_id, a.event_date, a.local_time, a.is_read, a.beneficiary_ref
from app_activity a
where coalesce(a.user_id in $account_list, false) and a.event_date between $day::date - to_days(greatest($history_days::int, 13)) and $day::date;
