-- Columns of `account_daily` when the lake has no baseline yet (see sql/baselines/account_daily.sql).
create or replace table account_daily (
    user_id VARCHAR, user_sub VARCHAR, org_siret VARCHAR, org_type VARCHAR, role_key VARCHAR,
    is_service BOOLEAN, events BIGINT, reads BIGINT, distinct_beneficiaries BIGINT,
    reads_out_of_portfolio BIGINT, distinct_out_of_portfolio BIGINT, nir_reads BIGINT,
    off_hours_reads BIGINT, list_rows HUGEINT, structure_lists BIGINT, export_rows HUGEINT,
    active_hours BIGINT, first_event TIMESTAMP, last_event TIMESTAMP, nets VARCHAR[],
    prefixes VARCHAR[], ips VARCHAR[], devices VARCHAR[], ua_keys VARCHAR[], sessions VARCHAR[],
    accounts_created BIGINT, role_grants BIGINT, off_hours_admin BIGINT, user_agents VARCHAR[], event_date DATE
);
