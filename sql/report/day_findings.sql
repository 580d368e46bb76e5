-- The findings of $day, most severe first (the order of findings.jsonl).
select *,
    enum_code(severity::severity) as severity_rank
from findings
where event_date = $day::date
order by severity_rank desc, rule_id, entity_id, finding_uid
