-- The sessions of an incident's findings up to $day and, per session, the networks its findings
-- named as the ones that misused it (empty: the whole session counts), the scope every incident
-- query reads. The most precise finding wins, as in sql/incidents/build.sql (the exposure):
-- when any finding named networks for a session, only those are the incident's.
select
    session_id,
    list_sort(list_distinct(flatten(list(exposure_nets)))) as nets
from (
    select unnest(session_ids) as session_id, coalesce(exposure_nets, []::varchar[]) as exposure_nets
    from findings
    where event_date <= $day::date and coalesce(incident_uid, 'finding-' || finding_uid) = $incident_uid
)
group by session_id
order by session_id
