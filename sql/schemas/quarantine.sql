-- Columns of `quarantine` when the lake has no file for it yet (checked against ingest by tests).
create or replace table quarantine (
    source_file VARCHAR,
    source_line BIGINT,
    reason_code VARCHAR,
    reason VARCHAR,
    raw_line VARCHAR
);
