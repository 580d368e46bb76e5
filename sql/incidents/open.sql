-- The incidents still open on the eve of $event_date, as their latest version before that night
-- says: only the versions written within the last $open_days nights are read (an incident with
-- no finding for $open_days days is closed: later findings start a new incident), so this costs
-- the same on a one-week and on a three-year lake.
with latest as (
    select incident_uid, first_day, last_day, finding_uids, finding_days, link_keys, merged_into
    from incident_versions
    where event_date between $event_date::date - $open_days and $event_date::date - 1
    qualify row_number() over (partition by incident_uid order by event_date desc) = 1
)
select incident_uid, first_day, last_day, finding_uids, finding_days, link_keys
from latest
where merged_into is null and last_day >= $event_date::date - $open_days
order by first_day, incident_uid
