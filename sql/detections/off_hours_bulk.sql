-- Bulk reading in the evening, at night or at the weekend (local time: the timezone setting)
-- by an account that does not work then. Service accounts are left out; an account whose history already has
-- such volume off hours is not flagged (its own baseline).
with off as (
    select user_id, any_value(org_siret) as org_siret, count(distinct beneficiary_ref) as distinct_off,
        count(*) as reads_off, list(distinct session_id) as session_ids,
        min(event_time) as first_seen, max(event_time) as last_seen
    from day_activity_hours
    where is_read and off_hours and not is_service
    group by user_id
)
select
    'user' as entity_type, o.user_id as entity_id, o.user_id, o.org_siret, o.first_seen, o.last_seen,
    o.session_ids,
    to_json({'distinct_off_hours': o.distinct_off, 'reads_off_hours': o.reads_off,
             'own_max_off_hours_28d': coalesce(h.max_off_hours_reads, 0)}) as metrics
from off o
left join day_history h using (user_id)
where o.distinct_off >= $floor and o.reads_off >= $own_factor * coalesce(h.max_off_hours_reads, 0)
