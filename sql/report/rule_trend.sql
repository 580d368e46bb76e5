-- Findings per rule and day over the 14 days ending $day (zeros included, for the chart).
with days as (
    select unnest(generate_series($day::date - 13, $day::date, interval 1 day))::date as event_date
),
rules as (
    select distinct rule_id from findings where event_date between $day::date - 13 and $day::date
),
counts as (
    select rule_id, event_date, count(*) as findings,
        max(enum_code(severity::severity)) as severity_rank
    from findings
    where event_date between $day::date - 13 and $day::date
    group by all
)
select r.rule_id, d.event_date, coalesce(c.findings, 0) as findings, coalesce(c.severity_rank, 0) as severity_rank
from rules r cross join days d
left join counts c using (rule_id, event_date)
order by r.rule_id, d.event_date
