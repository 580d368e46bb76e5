-- Sessions used from more than one network or browser family on a day.
-- A replayed session cookie shows two networks and two user agents interleaving in one
-- session; a laptop moving from office to home shows a switch, same browser, same device.
-- @param day  the UTC day (YYYY-MM-DD)
select session_id, any_value(user_id) as account,
       list(distinct net order by net) as networks, list(distinct src_ip order by src_ip) as ips, list(distinct ua_key order by ua_key) as browsers,
       list(distinct device_id order by device_id) filter (where device_id is not null) as devices,
       min(event_time) as first_seen, max(event_time) as last_seen,
       count(*) filter (where is_read) as reads,
       -- how many times the network changed from one event to the next
       (select count(*) from (
            select net <> lag(net) over (order by event_time) as changed
            from app_activity x
            where x.session_id = a.session_id and x.event_date = $day::date) where changed) as network_switches
from app_activity a
where event_date = $day::date
group by session_id
having count(distinct net) > 1 or count(distinct ua_key) > 1
order by network_switches desc, reads desc
