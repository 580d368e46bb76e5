-- The incident an analyst names: its uid, or a prefix that names one incident only.
select incident_uid, accounts, sessions, beneficiaries_exposed, beneficiaries_with_nir, finding_uids
from incidents
where incident_uid = $text
   or (starts_with(incident_uid, $text) and length($text) >= 8
       and not exists (select 1 from incidents where incident_uid = $text))
order by incident_uid
