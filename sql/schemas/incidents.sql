-- Columns of `incidents` when none exists yet (written by transforms/detect/incidents.py).
create or replace table incidents (
    incident_uid VARCHAR, severity VARCHAR, first_seen TIMESTAMP, last_seen TIMESTAMP,
    first_day DATE, last_day DATE, rule_ids VARCHAR[], finding_uids VARCHAR[], accounts VARCHAR[],
    org_sirets VARCHAR[], sessions VARCHAR[], browsing_sessions VARCHAR[], ips VARCHAR[],
    networks VARCHAR[], beneficiaries_exposed BIGINT, beneficiaries_with_nir BIGINT
);
