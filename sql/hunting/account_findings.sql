-- Every finding and incident that names an account, over all days.
-- Before closing an alert, see whether the account has a history of findings, and which
-- incident they were linked into.
-- @param user_id  the account (actor_user_id)
select f.event_date, f.rule_id, f.severity, f.title, f.entity_type, f.entity_id, f.beneficiaries_exposed,
       f.incident_uid, i.beneficiaries_exposed as incident_people_exposed, f.first_seen, f.last_seen
from findings f
left join incidents i using (incident_uid)
where f.user_id = $user_id or list_contains(f.related_user_ids, $user_id)
order by f.event_date, f.severity desc, f.rule_id
