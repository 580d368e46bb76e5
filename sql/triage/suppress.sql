-- Move the rule rows a suppression covers (`held_arrow`: rowid → suppression_uid, chosen by
-- transforms/workbench/triage.py) out of `rule_rows` into `day_suppressed`.
insert into day_suppressed by name
select h.suppression_uid, r.rule_id, r.title, r.severity, r.entity_type, r.entity_id, r.user_id, r.org_siret,
       r.first_seen, r.last_seen, r.ips, r.session_ids, $event_date::date as event_date
from rule_rows r join held_arrow h on r.rowid = h.row_id;
delete from rule_rows where rowid in (select row_id from held_arrow)
