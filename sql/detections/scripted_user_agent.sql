-- Beneficiary records read with a non-browser user agent (python-requests, curl, ...) by a
-- person's account. The partner app is used through a browser; batch integrations carry role
-- SERVICE and are left out. SP back-channel calls are ProConnect events, not app reads.
select
    'session' as entity_type, session_id as entity_id, any_value(user_id) as user_id,
    any_value(org_siret) as org_siret, min(event_time) as first_seen, max(event_time) as last_seen,
    [session_id] as session_ids,
    to_json({'reads': count(*), 'user_agents': list_sort(list(distinct user_agent))}) as metrics
from day_activity
where is_read and not is_service
  -- ua_family in ('script', 'other'), looked up once per distinct user agent of the day
  and user_agent in (select user_agent from day_agents where ua_family in ('script', 'other'))
group by session_id
having count(*) >= $min_reads
