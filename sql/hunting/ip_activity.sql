-- Every account and session that used one IP address, in the app and in ProConnect.
-- A hosting IP used by several unrelated accounts, or by a created account right after its
-- creator, ties incidents together.
-- @param ip  the source IP address
select 'app' as source, user_id as account, session_id, min(event_time) as first_seen,
       max(event_time) as last_seen, count(*) as events, count(*) filter (where is_read) as reads,
       any_value(src_as_org) as as_org, any_value(src_country) as country
from app_activity
where src_ip = $ip
group by user_id, session_id
union all
select 'proconnect', user_sub, session_id, min(event_time), max(event_time), count(*), 0,
       any_value(src_as_org), any_value(src_country)
from auth_events
where src_ip = $ip
group by user_sub, session_id
order by first_seen
