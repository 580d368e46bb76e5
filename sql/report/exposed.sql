-- The people an incident exposed up to $day, as pseudonyms (for the notification work).
select beneficiary_ref, nir_exposed, first_exposed, last_exposed, records
from incident_beneficiaries
where incident_uid = $incident_uid and first_exposed < $day::date + 1
order by beneficiary_ref
