-- The staged rows with duplicates marked, split into lake rows and quarantine rows.
-- Needs `staged` (from stage_*.sql), `ip_info` (one row per address) and `_run` (source_file).
create or replace temp view checked_rows as
select
    s.* exclude (reject_reason),
    coalesce(
        s.reject_reason,
        case when s.reject_reason is null
              and row_number() over same_event > 1
             then 'duplicate: same event as line ' || first_value(s.source_line) over same_event
        end
    ) as reject_reason
from staged s
window same_event as (
    partition by s.reject_reason is null, s.event_uid order by s.source_line
);

create or replace temp view lake_rows as
select
    c.* exclude (reject_reason, raw_line, src_ip, source_line),
    c.src_ip,
    i.* exclude (src_ip),
    r.source_file,
    c.source_line
from checked_rows c
left join ip_info i on i.src_ip = c.src_ip
cross join _run r
where c.reject_reason is null;

create or replace temp view quarantine_rows as
select
    r.source_file,
    c.source_line,
    split_part(c.reject_reason, ':', 1) as reason_code,
    c.reject_reason as reason,
    c.raw_line
from checked_rows c
cross join _run r
where c.reject_reason is not null;
