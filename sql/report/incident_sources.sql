-- Where an incident's sessions were used from: one row per source address with its network,
-- place, tag, browser and devices, and its role. When a finding named the networks that
-- misused a session ($nets, e.g. a replayed cookie), those are the attacker's and the session's
-- other networks are its legitimate owner's; when none was named, the whole session is the
-- incident's. Attacker first, then busiest.
with scope as (
    select unnest($sessions::varchar[]) as session_id, unnest($nets::varchar[][]) as nets
),
rows as (
    select a.*,
        case when len(s.nets) = 0 then 'incident'
             when list_contains(s.nets, a.net) then 'attacker'
             else 'legitimate' end as event_role
    from report_session_events a  -- app_activity of the day's incidents' sessions (_incident_events.sql)
    join scope s on a.session_id = s.session_id
    where a.event_date <= $day::date
)
select
    src_ip,
    case when bool_or(event_role = 'attacker') then 'attacker'
         when bool_or(event_role = 'incident') then 'incident' else 'legitimate' end as role,
    any_value(src_asn) as src_asn,
    any_value(src_as_org) as src_as_org,
    any_value(src_country) as src_country,
    any_value(src_city) as src_city,
    any_value(src_net_tag) as src_net_tag,
    mode(coalesce(ua_family, 'unknown')) as ua_family,
    mode(user_agent) as user_agent,
    count(distinct device_id) as devices,
    count(*) as events
from rows
group by src_ip
order by bool_or(event_role = 'attacker') desc, bool_or(event_role = 'incident') desc, events desc, src_ip
limit 10
