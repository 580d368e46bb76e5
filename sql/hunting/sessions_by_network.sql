-- A day's app sessions by network (ASN) and country: who works from where, and how much.
-- Hosting providers, foreign countries and networks with a single account reading a lot
-- stand out; office and VPN networks carry many accounts each.
-- @param day  the UTC day (YYYY-MM-DD)
select src_asn, any_value(src_as_org) as as_org, src_country, any_value(src_net_tag) as net_tag,
       count(distinct session_id) as sessions,
       count(distinct user_id) as accounts,
       count(*) filter (where is_read) as reads,
       count(distinct beneficiary_ref) filter (where is_read) as people_read,
       count(*) filter (where ua_family = 'script') as scripted_events
from app_activity
where event_date = $day::date
group by src_asn, src_country
order by reads desc, sessions desc
