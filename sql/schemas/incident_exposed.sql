-- Columns of `incident_exposed` (per night: one row per touched incident and exposed beneficiary).
create or replace table incident_exposed (
    incident_uid VARCHAR, beneficiary_ref VARCHAR, nir_exposed BOOLEAN,
    first_exposed TIMESTAMP, last_exposed TIMESTAMP, records BIGINT, in_flagged_sessions BOOLEAN,
    event_date DATE
);
