-- Are there partner-application events on $event_date?
select count(*) from app_events where event_date = $event_date
