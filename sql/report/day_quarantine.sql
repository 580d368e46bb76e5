-- Quarantined lines of the given input files, by reason.
select reason_code, count(*) as lines
from quarantine
where list_contains($files::varchar[], source_file)
group by reason_code
order by lines desc, reason_code
