-- One account seen from two places too far apart for the time between them (over
-- $max_kmh). VPN and mobile ranges geolocate to their operator, not the person, and are
-- skipped. Sessions are not listed: which side is the owner is for the analyst to say.
-- Only accounts seen from two places at least $min_km apart can qualify (every hop joins two of
-- the account's places): their places are found first from two narrow reads, and the
-- time-ordered window runs over those accounts' events only.
with places as (
    select distinct user_id, src_latitude as lat, src_longitude as lon
    from day_activity  -- app_activity of $event_date
    where not is_service
      and src_latitude is not null
      and coalesce(src_net_tag, '') not in ('vpn', 'mobile', 'sp_backend')
    union
    select distinct user_id, src_latitude as lat, src_longitude as lon
    from app_events
    where event_date = $event_date::date - 1 and not coalesce(list_contains(user_roles, 'SERVICE'), false)
      and src_latitude is not null
      and coalesce(src_net_tag, '') not in ('vpn', 'mobile', 'sp_backend')
),
far_apart as (
    select distinct a.user_id
    from places a join places b on a.user_id = b.user_id and (a.lat <> b.lat or a.lon <> b.lon)
    where 2 * 6371 * asin(sqrt(pow(sin(radians(a.lat - b.lat) / 2), 2)
            + cos(radians(a.lat)) * cos(radians(b.lat)) * pow(sin(radians(a.lon - b.lon) / 2), 2))) >= $min_km
),
located as (
    select user_id, org_siret, session_id, event_time, src_ip, src_city, src_latitude as lat, src_longitude as lon
    from day_activity
    where not is_service
      and src_latitude is not null
      and coalesce(src_net_tag, '') not in ('vpn', 'mobile', 'sp_backend')
      and user_id in (select user_id from far_apart)
    union all
    -- the day before too: a night abroad followed by the owner's morning spans midnight
    select user_id, org_siret, session_id, event_time, src_ip, src_city, src_latitude as lat, src_longitude as lon
    from app_events
    where event_date = $event_date::date - 1 and not coalesce(list_contains(user_roles, 'SERVICE'), false)
      and src_latitude is not null
      and coalesce(src_net_tag, '') not in ('vpn', 'mobile', 'sp_backend')
      and user_id in (select user_id from far_apart)
),
hops as (
    select *,
        lag(lat) over w as prev_lat, lag(lon) over w as prev_lon, lag(event_time) over w as prev_time,
        lag(src_city) over w as prev_city, lag(session_id) over w as prev_session
    from located
    window w as (partition by user_id order by event_time)
),
speeds as (
    select *,
        2 * 6371 * asin(sqrt(pow(sin(radians(lat - prev_lat) / 2), 2)
            + cos(radians(lat)) * cos(radians(prev_lat)) * pow(sin(radians(lon - prev_lon) / 2), 2))) as km,
        greatest(epoch(event_time - prev_time), 60) / 3600.0 as hours
    from hops
    where prev_lat is not null and (lat <> prev_lat or lon <> prev_lon) and event_time::date = $event_date
)
select
    'user' as entity_type, user_id as entity_id, user_id, any_value(org_siret) as org_siret,
    min(prev_time) as first_seen, max(event_time) as last_seen,
    list(distinct src_ip) as ips,
    to_json({'max_kmh': round(max(km / hours)), 'max_km': round(max(km)),
             'cities': list_sort(list_distinct(list(src_city) || list(prev_city)))}) as metrics
from speeds
where km >= $min_km and km / hours > $max_kmh
group by user_id
