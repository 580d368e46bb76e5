-- Structure-wide lists and exports beyond the account's role and habit: DIRECTION and
-- SUPERVISEUR export the structure at month end (a trap), an advisor or a new account paging
-- through the whole structure does not. Off hours or above the account's own maximum counts.
with today as (
    select user_id, session_id, any_value(org_siret) as org_siret, any_value(user_roles) as roles,
        sum(records_touched) as rows, bool_or(off_hours) as off_hours,
        min(event_time) as first_seen, max(event_time) as last_seen
    from day_activity_hours
    where (is_structure_list or event_category = 'export') and outcome = 'success'
      and not is_service
    group by user_id, session_id
),
per_user as (
    select user_id, any_value(org_siret) as org_siret, any_value(roles) as roles, sum(rows) as rows,
        bool_or(off_hours) as off_hours, list(session_id) as session_ids,
        min(first_seen) as first_seen, max(last_seen) as last_seen
    from today group by user_id
)
select
    'user' as entity_type, p.user_id as entity_id, p.user_id, p.org_siret, p.first_seen, p.last_seen,
    case when p.off_hours then 'high' else 'medium' end as severity,
    p.session_ids,
    to_json({'rows_listed_or_exported': p.rows, 'roles': p.roles, 'off_hours': p.off_hours,
             'own_max_28d': coalesce(h.max_list_rows, 0) + coalesce(h.max_export_rows, 0)}) as metrics
from per_user p
left join day_history h using (user_id)
where p.rows >= $floor
  and (p.off_hours or not list_has_any(p.roles, ['DIRECTION', 'SUPERVISEUR']))
  and p.rows > $own_factor * (coalesce(h.max_list_rows, 0) + coalesce(h.max_export_rows, 0))
