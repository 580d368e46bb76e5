-- The accounts that read the most records outside their organisation's portfolio on a day.
-- Kairos 2025 and Cap emploi 2024: stolen accounts read far beyond the people they follow.
-- @param day    the UTC day (YYYY-MM-DD)
-- @param limit  rows to return (default: 20)
select user_id, any_value(org_siret) as org_siret, any_value(org_type) as org_type,
       count(*) filter (where is_read) as reads,
       count(*) filter (where is_read and not coalesce(in_portfolio, true)) as out_of_portfolio_reads,
       round(100.0 * count(*) filter (where is_read and not coalesce(in_portfolio, true))
             / nullif(count(*) filter (where is_read), 0), 1) as out_of_portfolio_pct,
       count(distinct beneficiary_ref) filter (where is_read) as people_read,
       count(*) filter (where is_read and off_hours) as off_hours_reads,
       list(distinct net order by net) as networks
from app_activity
where event_date = $day::date
group by user_id
having count(*) filter (where is_read) > 0
order by out_of_portfolio_reads desc, reads desc, user_id
limit $limit::int
