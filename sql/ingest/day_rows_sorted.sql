-- One day's good rows of a file, in time order (ties keep the file's order); the
-- partition column lives in the folder name, not in the file.
select * exclude (event_date)
from day_rows
order by event_time, source_line
