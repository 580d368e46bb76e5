-- Where an incident's activity came from: one row per source address with its network,
-- place and tag, busiest first (same scope as incident_activity.sql).
with scope as (
    select unnest($sessions::varchar[]) as session_id, unnest($nets::varchar[][]) as nets
)
select
    a.src_ip,
    any_value(a.src_asn) as src_asn,
    any_value(a.src_as_org) as src_as_org,
    any_value(a.src_country) as src_country,
    any_value(a.src_city) as src_city,
    any_value(a.src_net_tag) as src_net_tag,
    count(*) as events
from report_session_events a  -- app_activity of the day's incidents' sessions (_incident_events.sql)
join scope s on a.session_id = s.session_id and (len(s.nets) = 0 or list_contains(s.nets, a.net))
where a.event_date <= $day::date
group by a.src_ip
order by events desc, a.src_ip
limit 8
