-- The staged rows with duplicates marked, split into lake rows and quarantine rows.
-- Needs `staged` (from stage_*.sql), `ip_info` (one row per address), `_run` (source_file)
-- and `existing_events` (events other files already put in the lake for the same days).

-- Events seen more than once in the file: the first line is kept, the others quarantined.
create or replace temp table duplicate_events as
select event_uid, min(source_line) as first_line
from staged
where reject_reason is null
group by event_uid
having count(*) > 1;

-- Events another file already delivered (a producer re-sending): the first delivery wins.
create or replace temp table delivered_elsewhere as
select e.event_uid, min(e.source_file || ' line ' || e.source_line) as first_place
from existing_events e
semi join (select event_uid from staged where reject_reason is null) s using (event_uid)
group by e.event_uid;

create or replace temp view checked_rows as
select
    s.* exclude (reject_reason),
    coalesce(
        s.reject_reason,
        case when o.first_place is not null
             then 'duplicate: same event as ' || o.first_place
        end,
        case when d.first_line is not null and s.source_line <> d.first_line
             then 'duplicate: same event as line ' || d.first_line
        end
    ) as reject_reason
from staged s
left join duplicate_events d on s.reject_reason is null and d.event_uid = s.event_uid
left join delivered_elsewhere o on s.reject_reason is null and o.event_uid = s.event_uid;

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
