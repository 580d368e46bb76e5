-- Record reads at machine pace: many reads in one session with no think time (median gap under
-- a couple of seconds). People read a file, then the next; scripts do not pause. Service
-- accounts (role SERVICE, batch integrations) are expected to do this and are left out.
with reads as (
    select session_id, user_id, org_siret, event_time, net, ua_family,
        epoch(event_time - lag(event_time) over (partition by session_id order by event_time)) as gap
    from app_activity
    where event_date = $event_date and is_read and not is_service
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
             'networks': nets, 'ua_families': ua_families}) as metrics
from per_session
where reads >= $min_reads and median_gap < $max_median_gap_s and p90_gap < $max_p90_gap_s
