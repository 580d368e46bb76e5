-- Are there ProConnect events on $event_date or the day before (a login may precede midnight)?
select count(*) from auth_events where event_date between $event_date - 1 and $event_date
