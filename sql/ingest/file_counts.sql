-- What one file put in the lake: its rows and their time span, read back from the day files
-- it is about to publish (Parquet statistics answer most of it).
select count(*) as rows_written, min(event_time) as first_event_time, max(event_time) as last_event_time
from read_parquet($files)
