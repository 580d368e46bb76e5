-- Incidents as their latest version says (transforms/detect/incidents.py writes one version per
-- night that touched the incident); an incident absorbed by an earlier one is gone from here
-- (its findings now carry the other's uid). `incident_beneficiaries`: the people each one exposed.
create or replace view incidents as
select * exclude (merged_into, event_date, rn), event_date as version_date
from (select *, row_number() over (partition by incident_uid order by event_date desc) as rn
      from incident_versions)
where rn = 1 and merged_into is null;

create or replace view incident_beneficiaries as
select b.* exclude (event_date)
from incident_exposed b
semi join (select incident_uid, version_date as event_date from incidents) v using (incident_uid, event_date);
