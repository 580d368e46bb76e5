-- The triage state of the report's incidents (`report_incidents_arrow`: uid, accounts, sessions,
-- exposure as of $day) from the append-only decisions (`triage`).
with resolved as (
    -- a decision follows its incident through a re-link: the incident that now holds the
    -- findings it was taken on (finding uids are deterministic), else the uid it named
    select t.*,
        coalesce((select min(f.incident_uid) from findings f
                  where f.finding_uid = t.finding_uids[1] and f.incident_uid is not null),
                 t.incident_uid) as current_uid
    from triage t
),
latest as (
    select current_uid as incident_uid, arg_max(r, (decided_at, decision_uid)) as d
    from resolved r
    group by current_uid
),
compared as (
    select
        i.incident_uid,
        l.d.status as decided_status,
        l.d.note as note,
        l.d.analyst as analyst,
        l.d.decided_at as decided_at,
        l.d.until as until,
        l.d.beneficiaries_exposed as exposure_at_decision,
        len(list_filter(i.accounts, lambda a: not list_contains(l.d.accounts, a))) as new_accounts,
        len(list_filter(i.sessions, lambda s: not list_contains(l.d.sessions, s))) as new_sessions,
        greatest(i.beneficiaries_exposed - l.d.beneficiaries_exposed, 0) as new_exposure
    from report_incidents_arrow i
    join latest l using (incident_uid)
)
select *,
    new_accounts > 0 or new_sessions > 0 or new_exposure > 0 as grown_since_decision,
    case
        when until is not null and $day::date > until then 'open'
        when decided_status in ('closed', 'false_positive')
             and (new_accounts > 0 or new_sessions > 0 or new_exposure > 0) then 'reopened'
        else decided_status
    end as status
from compared
order by incident_uid
