-- The findings of $day, most severe first (the order of findings.jsonl).
select *,
    case severity when 'critical' then 4 when 'high' then 3 when 'medium' then 2
                  when 'low' then 1 else 0 end as severity_rank
from findings
where event_date = $day::date
order by severity_rank desc, rule_id, entity_id, finding_uid
