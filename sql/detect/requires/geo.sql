-- Is there app data with a geolocation on $event_date? (impossible_travel)
select count(*) filter (where src_latitude is not null) from app_events where event_date = $event_date
