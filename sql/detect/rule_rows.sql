-- The shape every rule's rows take once the runner added the shared columns (see runner.py).
create or replace temp table rule_rows (
    rule_id VARCHAR, title VARCHAR, severity VARCHAR, confidence DOUBLE, attack VARCHAR[],
    entity_type VARCHAR, entity_id VARCHAR, user_id VARCHAR, org_siret VARCHAR,
    first_seen TIMESTAMP, last_seen TIMESTAMP, metrics JSON, evidence JSON,
    session_ids VARCHAR[], ips VARCHAR[], browsing_session_ids VARCHAR[],
    related_user_ids VARCHAR[], exposure_nets VARCHAR[]
);
