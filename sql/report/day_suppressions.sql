-- The suppressions in force on $day, with what each held back that day.
with held as (
    select suppression_uid, count(*) as findings_held, list(distinct rule_id order by rule_id) as rules_held
    from suppressed where event_date = $day::date
    group by suppression_uid
)
select s.suppression_uid, s.kind, s.value, s.rule_id, s.reason, s.analyst, s.created_at, s.expires,
       coalesce(h.findings_held, 0) as findings_held, coalesce(h.rules_held, []) as rules_held
from suppressions s left join held h using (suppression_uid)
where s.expires >= $day::date or h.findings_held > 0
order by s.created_at, s.suppression_uid
