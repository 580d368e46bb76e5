-- The file's quarantined lines: rejected by the staging SQL or found to be duplicates.
-- Needs `rejected_rows` (source_line, reject_reason, raw_line) and `_run` (source_file).
create or replace temp view quarantine_rows as
select
    r.source_file,
    q.source_line,
    split_part(q.reject_reason, ':', 1) as reason_code,
    q.reject_reason as reason,
    q.raw_line
from rejected_rows q
cross join _run r
