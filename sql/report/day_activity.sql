-- The day's volume, for the at-a-glance line: events, accounts, record reads, people read.
select
    count(*) as events,
    count(distinct user_id) as accounts,
    count(*) filter (where is_read) as reads,
    count(distinct beneficiary_ref) filter (where is_read) as people_read
from app_activity
where event_date = $day::date
