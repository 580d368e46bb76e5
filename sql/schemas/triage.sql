-- Columns of `triage` when no decision exists yet (written by transforms/workbench/triage.py).
create or replace table triage (
    decision_uid VARCHAR, incident_uid VARCHAR, status VARCHAR, note VARCHAR, analyst VARCHAR,
    decided_at TIMESTAMP, until DATE, accounts VARCHAR[], sessions VARCHAR[],
    beneficiaries_exposed BIGINT, beneficiaries_with_nir BIGINT, finding_uids VARCHAR[]
);
