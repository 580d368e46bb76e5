-- Record reads at machine pace: many reads in one session with no think time (median gap under
-- a couple of seconds). People read a file, then the next; scripts do not pause. Service
-- accounts (role SERVICE, batch integrations) are expected to do this and are left out.
-- The gap window runs only over sessions with at least $min_reads reads (the others cannot
-- qualify): a handful of sessions instead of the whole day.
with busy as (
    select session_id from day_sessions where reads >= $min_reads  -- reads of non-service events
),
reads as (
    select r.session_id, r.user_id, r.org_siret, r.event_time, r.net, u.ua_family,
        epoch(r.event_time - lag(r.event_time) over (partition by r.session_id order by r.event_time)) as gap
    from day_activity r
    left join day_agents u on u.user_agent is not distinct from r.user_agent
    where r.is_read and not r.is_service and r.session_id in (select session_id from busy)
),
per_session as (
    select session_id, any_value(user_id) as user_id, any_value(org_siret) as org_siret,
        count(*) as reads, median(gap) as median_gap, quantile_cont(gap, 0.9) as p90_gap,
        min(event_time) as first_seen, max(event_time) as last_seen,
        list(distinct net) as nets, list(distinct ua_family) as ua_families
    from reads
    group by session_id
)
select
    'session' as entity_type, session_id as entity_id, user_id, org_siret, first_seen, last_seen,
    case when median_gap < 1 then 'critical' else 'high' end as severity,
    [session_id] as session_ids,
    to_json({'reads': reads, 'median_gap_s': round(median_gap, 3), 'p90_gap_s': round(p90_gap, 3),
             'networks': list_sort(nets), 'ua_families': list_sort(ua_families)}) as metrics
from per_session
where reads >= $min_reads and median_gap < $max_median_gap_s and p90_gap < $max_p90_gap_s
