-- The day's app_activity ($event_date only) for the baselines, the rules and the findings'
-- exposure (transforms/detect/dayset.py builds it before they run). app_activity derives a
-- user-agent family (a regular expression) and a local time (a time-zone conversion) on every
-- row of every query; here they are derived once per distinct value and joined:
--   * day_agents: ua_family / ua_key once per distinct user agent of the day (a few thousand);
--   * day_hours: local offset and off_hours once per distinct UTC quarter-hour: every zone's
--     offset is a whole number of quarter-hours and changes on one (Paris: UTC+1/+2, at 01:00
--     UTC; Asia/Kolkata's +05:30 or Pacific/Marquesas' -09:30 would split a UTC hour), so both
--     are constant within a UTC quarter-hour (connections are UTC; the zone: vigie_timezone).
-- day_activity is a view over the day's Parquet partition: each query reads only its columns,
-- and nothing the size of the day is held in memory. Its columns and values are app_activity's,
-- but for the ones that need a join per row: ua_family and ua_key (queries join day_agents),
-- local_time and off_hours (in day_activity_hours, the same view with the hour lookup joined).
create or replace temp table day_agents as
select user_agent, ua_family(user_agent) as ua_family, ua_key(user_agent) as ua_key
from (select distinct user_agent from app_events where event_date = $event_date);

create or replace temp table day_hours as
select utc_quarter, to_local_time(utc_quarter) - utc_quarter as utc_offset, is_off_hours(utc_quarter) as off_hours
from (select distinct time_bucket(interval 15 minute, event_time) as utc_quarter
      from app_events where event_date = $event_date);

create or replace temp view day_activity as
select *
from app_actions
where event_date = $event_date;

create or replace temp view day_activity_hours as
select a.*, a.event_time + h.utc_offset as local_time, h.off_hours
from day_activity a
left join day_hours h on h.utc_quarter = time_bucket(interval 15 minute, a.event_time);
