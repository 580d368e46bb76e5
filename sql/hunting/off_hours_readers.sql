-- Accounts reading records at night or at the weekend (local time) on a day, most first.
-- Scripted extraction runs when the owner sleeps; service accounts (role SERVICE) are shown
-- but marked, since their batch work is expected at night.
-- @param day          the UTC day (YYYY-MM-DD)
-- @param min_reads    ignore accounts with fewer off-hours reads (default: 20)
select user_id, bool_or(is_service) as service_account,
       count(*) filter (where is_read and off_hours) as off_hours_reads,
       count(*) filter (where is_read) as reads,
       list(distinct hour(local_time) order by hour(local_time)) filter (where off_hours) as local_hours,
       list(distinct ua_family order by ua_family) as browsers, list(distinct net order by net) as networks
from app_activity
where event_date = $day::date
group by user_id
having count(*) filter (where is_read and off_hours) >= $min_reads::int
order by off_hours_reads desc
