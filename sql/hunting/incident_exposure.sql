-- The people an incident exposed (pseudonyms), with NIR and dates, for the notification work.
-- The count of rows is the figure given to the CNIL; map pseudonyms back to people only in
-- the system that holds the key, never in the lake.
-- @param incident_uid  the incident (inc-...) as in the report
-- @param nir_only      true to list only people whose NIR was exposed (default: false)
select b.beneficiary_ref, b.nir_exposed, b.first_exposed, b.last_exposed, b.records,
       count(*) over () as people_exposed,
       count(*) filter (where b.nir_exposed) over () as people_with_nir
from incident_beneficiaries b
where b.incident_uid = $incident_uid
  and (not $nir_only::boolean or b.nir_exposed)
order by b.first_exposed, b.beneficiary_ref
