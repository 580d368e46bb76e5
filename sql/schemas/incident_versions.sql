-- Columns of `incident_versions` when no night has linked an incident yet (transforms/detect/incidents.py).
create or replace table incident_versions (
    incident_uid VARCHAR, severity VARCHAR, first_seen TIMESTAMP, last_seen TIMESTAMP,
    first_day DATE, last_day DATE, rule_ids VARCHAR[], finding_uids VARCHAR[], accounts VARCHAR[],
    org_sirets VARCHAR[], sessions VARCHAR[], browsing_sessions VARCHAR[], ips VARCHAR[],
    networks VARCHAR[], beneficiaries_exposed BIGINT, beneficiaries_with_nir BIGINT,
    beneficiaries_exposed_flagged BIGINT, beneficiaries_with_nir_flagged BIGINT,
    first_malicious_activity TIMESTAMP, scope_searched_from DATE, attacker_devices VARCHAR[],
    attacker_prefixes VARCHAR[],
    finding_days DATE[], link_keys STRUCT("key" VARCHAR, last_day DATE)[], merged_into VARCHAR,
    event_date DATE
);
