-- An account's days against its own usual level: volume, out-of-portfolio share, hours,
-- networks and devices per day, beside the median of its previous days.
-- A sudden step (ten times the usual people read, new networks, night hours) is the story
-- of a stolen account; a steady high level is a heavy but ordinary user.
-- @param user_id  the account (actor_user_id)
-- @param days     how many days back from the last one (default: 28)
with daily as (
    select event_date, distinct_beneficiaries, reads, reads_out_of_portfolio, nir_reads, off_hours_reads,
           list_rows, export_rows, len(nets) as networks, len(devices) as devices, len(ua_keys) as browsers,
           nets
    from account_daily
    where user_id = $user_id
      and event_date > (select max(event_date) from account_daily where user_id = $user_id) - $days::int
)
select *,
    median(distinct_beneficiaries) over (order by event_date rows between unbounded preceding and 1 preceding)
        as usual_people_read,
    round(distinct_beneficiaries / nullif(median(distinct_beneficiaries) over (
        order by event_date rows between unbounded preceding and 1 preceding), 0), 1) as times_usual
from daily
order by event_date
