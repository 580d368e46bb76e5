-- Every triage decision, newest first, with the incident it now belongs to.
with resolved as (
    select t.*,
        coalesce((select any_value(f.incident_uid) from findings f
                  where list_contains(t.finding_uids, f.finding_uid) and f.incident_uid is not null),
                 t.incident_uid) as current_incident_uid
    from triage t
)
select decided_at, analyst, current_incident_uid as incident_uid, status, until, note,
       beneficiaries_exposed, incident_uid as decided_on
from resolved
order by decided_at desc, decision_uid
