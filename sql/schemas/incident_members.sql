-- Columns of `incident_members` (per night: finding → incident for the incidents it touched).
create or replace table incident_members (finding_uid VARCHAR, incident_uid VARCHAR, event_date DATE);
