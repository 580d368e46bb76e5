-- The suppressions in force on $day: `expires` is the last day they hold findings back.
select suppression_uid, kind, value, rule_id, reason, analyst, created_at, expires
from suppressions
where expires >= $day::date
order by created_at, suppression_uid
