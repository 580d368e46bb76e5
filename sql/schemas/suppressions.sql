-- Columns of `suppressions` when none exists yet (written by transforms/workbench/triage.py).
create or replace table suppressions (
    suppression_uid VARCHAR, kind VARCHAR, value VARCHAR, rule_id VARCHAR, reason VARCHAR,
    analyst VARCHAR, created_at TIMESTAMP, expires DATE
);
