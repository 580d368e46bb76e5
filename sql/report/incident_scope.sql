-- The sessions of an incident's findings up to $day and, per session, the networks its findings
-- named (empty: the whole session counts), the scope every incident query reads.
select
    session_id,
    case when bool_or(len(exposure_nets) = 0) then []::varchar[]
         else list_sort(list_distinct(flatten(list(exposure_nets)))) end as nets
from (
    select unnest(session_ids) as session_id, coalesce(exposure_nets, []::varchar[]) as exposure_nets
    from findings
    where event_date <= $day::date and coalesce(incident_uid, 'finding-' || finding_uid) = $incident_uid
)
group by session_id
order by session_id
