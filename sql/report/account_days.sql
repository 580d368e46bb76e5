-- One account's distinct people read per day over the 14 days ending $day (for the chart);
-- days before the lake's first day ($lake_start) have no data: null, not zero.
with days as (
    select unnest(generate_series($day::date - 13, $day::date, interval 1 day))::date as event_date
),
reads as (
    select event_date, count(distinct beneficiary_ref) as people
    from report_account_events  -- app_activity of the incidents' accounts (_incident_events.sql)
    where user_id = $user_id and is_read and event_date between $day::date - 13 and $day::date
    group by event_date
)
select d.event_date,
    case when d.event_date < $lake_start::date then null else coalesce(r.people, 0) end as people
from days d left join reads r using (event_date)
order by d.event_date
