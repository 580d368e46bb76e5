-- Lines of this file whose event the lake already has: from another file (the first
-- delivery wins) or from an earlier line of this file (the first line wins).
-- Needs `file_events` (event_uid, source_line, day_file of the file's good rows) and `existing_events`
-- (event_uid, source_file, source_line of other files' rows for the same days), both views over
-- the Parquet files, so nothing is loaded whole.
-- Kept as the temp table `duplicates`, which the day files are then filtered with.
create or replace temp table duplicates as
with repeated as (
    -- Events are first matched by an 8-byte hash of their id: a small superset of the duplicates,
    -- found with memory that stays a fraction of the file's ids whatever the day's size.
    select hash(event_uid) as h from file_events group by h having count(*) > 1
    union
    select hash(event_uid) as h from existing_events
    where hash(event_uid) in (select hash(event_uid) from file_events)
),
candidates as (
    select event_uid, source_line, day_file
    from file_events
    where hash(event_uid) in (select h from repeated)
),
in_file as (
    select event_uid, min(source_line) as first_line
    from candidates
    group by event_uid
    having count(*) > 1
),
elsewhere as (
    select e.event_uid, min(e.source_file || ' line ' || e.source_line) as first_place
    from existing_events e
    semi join candidates f using (event_uid)
    group by e.event_uid
)
select
    f.source_line,
    f.day_file,
    coalesce(
        'duplicate: same event as ' || o.first_place,
        'duplicate: same event as line ' || d.first_line
    ) as reject_reason
from candidates f
left join in_file d on d.event_uid = f.event_uid and d.first_line <> f.source_line
left join elsewhere o on o.event_uid = f.event_uid
where o.first_place is not null or d.first_line is not null
