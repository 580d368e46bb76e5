-- One account's record reads per local hour on $day (the incident's sessions apart from the
-- rest) against its usual profile: the mean reads in that hour over the days of the $history_days
-- before on which the account did its own work (days spent only in the incident's sessions
-- would dilute the profile towards zero).
with today as (
    select hour(local_time) as hour,
        count(*) filter (where list_contains($sessions::varchar[], session_id)) as incident_reads,
        count(*) filter (where not list_contains($sessions::varchar[], session_id)) as other_reads
    from report_account_events  -- app_activity of the incidents' accounts (_incident_events.sql)
    where user_id = $user_id and event_date = $day::date and is_read
    group by 1
),
history as (
    select hour(local_time) as hour, count(*) as reads
    from report_account_events  -- app_activity of the incidents' accounts (_incident_events.sql)
    where user_id = $user_id and is_read
      and event_date >= $day::date - to_days($history_days::int) and event_date < $day::date
      and not list_contains($sessions::varchar[], session_id)
    group by 1
),
history_days as (
    select greatest(count(distinct event_date), 1) as n
    from report_account_events  -- app_activity of the incidents' accounts (_incident_events.sql)
    where user_id = $user_id
      and event_date >= $day::date - to_days($history_days::int) and event_date < $day::date
      and not list_contains($sessions::varchar[], session_id)
)
select
    h.hour,
    coalesce(t.incident_reads, 0) as incident_reads,
    coalesce(t.other_reads, 0) as other_reads,
    round(coalesce(b.reads, 0) / (select n from history_days), 1) as baseline_reads
from range(24) h(hour)
left join today t using (hour)
left join history b using (hour)
order by h.hour
