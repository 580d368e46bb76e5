-- The day's findings held back by a suppression (filled by sql/triage/suppress.sql).
create or replace temp table day_suppressed (
    suppression_uid VARCHAR, rule_id VARCHAR, title VARCHAR, severity VARCHAR, entity_type VARCHAR,
    entity_id VARCHAR, user_id VARCHAR, org_siret VARCHAR, first_seen TIMESTAMP, last_seen TIMESTAMP,
    ips VARCHAR[], session_ids VARCHAR[], event_date DATE
)
