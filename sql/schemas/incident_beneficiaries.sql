-- Columns of `incident_beneficiaries` (one row per incident and exposed beneficiary pseudonym).
create or replace table incident_beneficiaries (
    incident_uid VARCHAR, beneficiary_ref VARCHAR, nir_exposed BOOLEAN,
    first_exposed TIMESTAMP, last_exposed TIMESTAMP, records BIGINT
);
