-- Columns of `findings` when no rule has run yet (written by transforms/detect/runner.py).
create or replace table findings (
    finding_uid VARCHAR, rule_id VARCHAR, title VARCHAR, severity VARCHAR, confidence DOUBLE,
    attack VARCHAR[], entity_type VARCHAR, entity_id VARCHAR, user_id VARCHAR, org_siret VARCHAR,
    first_seen TIMESTAMP, last_seen TIMESTAMP, beneficiaries_exposed BIGINT, metrics JSON,
    evidence JSON, session_ids VARCHAR[], ips VARCHAR[], browsing_session_ids VARCHAR[],
    related_user_ids VARCHAR[], exposure_nets VARCHAR[], incident_uid VARCHAR, event_date DATE
);
