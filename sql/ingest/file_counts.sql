-- What one file gave: rows written, rows quarantined, and the time span of the good rows.
select
    count(*) filter (where reject_reason is null) as rows_written,
    count(*) filter (where reject_reason is not null) as rows_quarantined,
    min(event_time) filter (where reject_reason is null) as first_event_time,
    max(event_time) filter (where reject_reason is null) as last_event_time
from checked_rows
