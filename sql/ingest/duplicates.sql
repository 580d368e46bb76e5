-- Lines of this file whose event the lake already has: from another file (the first
-- delivery wins) or from an earlier line of this file (the first line wins).
-- Needs `file_events` (event_uid, source_line, day_file of the file's good rows) and `existing_events`
-- (event_uid, source_file, source_line of other files' rows for the same days).
-- Kept as the temp table `duplicates`, which the day files are then filtered with.
create or replace temp table duplicates as
with in_file as (
    select event_uid, min(source_line) as first_line
    from file_events
    group by event_uid
    having count(*) > 1
),
elsewhere as (
    select e.event_uid, min(e.source_file || ' line ' || e.source_line) as first_place
    from existing_events e
    semi join file_events f using (event_uid)
    group by e.event_uid
)
select
    f.source_line,
    f.day_file,
    coalesce(
        'duplicate: same event as ' || o.first_place,
        'duplicate: same event as line ' || d.first_line
    ) as reject_reason
from file_events f
left join in_file d on d.event_uid = f.event_uid and d.first_line <> f.source_line
left join elsewhere o on o.event_uid = f.event_uid
where o.first_place is not null or d.first_line is not null
