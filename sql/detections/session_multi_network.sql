-- One app session used from several networks with browsers that differ beyond an upgrade
-- (Elastic's single session from multiple addresses + Panther's stolen-session UA test).
-- Networks are compared by ASN (or /24, /64), so carrier NAT and IPv6 privacy addresses
-- stay one network; a laptop moving home keeps its browser, so it passes. Interleaving
-- (the session switching back and forth between places) raises it to critical.
-- Sessions with two networks (min <> max: two distinct values) are found first (a few in a
-- thousand); only their events get a ua_key, lists and windows.
with candidates as (
    select session_id
    from day_sessions  -- non-service events
    where min_net <> max_net
),
events as (
    select e.session_id, e.user_id, e.org_siret, e.event_time, e.net, e.src_ip, u.ua_key, e.device_id,
        e.net || '|' || u.ua_key as place
    from day_activity e
    left join day_agents u on u.user_agent is not distinct from e.user_agent
    where not e.is_service and e.session_id in (select session_id from candidates)
),
per_session as (
    select session_id, any_value(user_id) as user_id, any_value(org_siret) as org_siret,
        count(distinct net) as nets, count(distinct ua_key) as ua_keys, count(distinct place) as places,
        list(distinct net) as net_list, list(distinct ua_key) as ua_list, list(distinct src_ip) as ips,
        list(distinct device_id) as devices, min(event_time) as first_seen, max(event_time) as last_seen
    from events group by session_id
    having count(distinct net) >= 2 and count(distinct ua_key) >= 2
),
switches as (
    select session_id, count(*) filter (where place <> prev) as switches
    from (
        select session_id, place, lag(place) over (partition by session_id order by event_time) as prev
        from events where session_id in (select session_id from per_session)
    ) group by session_id
),
-- the place that started the session is the owner's; the others are the replay
later_places as (
    select session_id, list(distinct net) filter (where net <> first_net) as replay_nets,
           list(distinct src_ip) filter (where net <> first_net) as replay_ips
    from (
        select session_id, net, src_ip,
            first_value(net) over (partition by session_id order by event_time) as first_net
        from events where session_id in (select session_id from per_session)
    ) group by session_id
)
select
    'session' as entity_type, p.session_id as entity_id, p.user_id, p.org_siret, p.first_seen, p.last_seen,
    case when s.switches >= $interleave_switches then 'critical' else 'high' end as severity,
    [p.session_id] as session_ids,
    l.replay_ips as ips,
    l.replay_nets as exposure_nets,
    to_json({'networks': list_sort(p.net_list), 'browsers': list_sort(p.ua_list), 'devices': list_sort(p.devices),
             'place_switches': s.switches, 'ips': list_sort(p.ips)}) as metrics
from per_session p
join switches s using (session_id)
join later_places l using (session_id)
