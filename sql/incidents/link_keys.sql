-- What links the night's findings into incidents: the same account, app or ProConnect session,
-- browsing session, creator→created account, source IP, or rare shared infrastructure. Shared egress (office NAT, VPN
-- concentrator, mobile carrier, SP back-end) would glue unrelated people together, so those
-- IPs never link (an address's tag comes from the reference data, so the night and the day
-- before, where the night's findings saw it, tell). Only the night's findings partition and
-- those two days' events are read; the keys of earlier findings are kept in their incident's
-- version (incident_versions.link_keys).
with night as (
    select finding_uid, user_id, session_ids, browsing_session_ids, related_user_ids, ips,
           -- a campaign's rare shared infrastructure (network, exact user agent, device), as the
           -- rule that measured its rarity named it (campaign_shared_infrastructure)
           coalesce(try_cast(json_extract(metrics, '$.infrastructure') as varchar[]), []) as infrastructure
    from read_parquet($findings_file)
),
shared_ips as (
    select distinct src_ip
    from app_events
    where event_date between $event_date::date - 1 and $event_date::date
      and src_net_tag in ('office', 'vpn', 'mobile', 'sp_backend')
),
keys as (
    select finding_uid, 'user:' || user_id as link_key from night where user_id is not null
    union all
    select finding_uid, 'session:' || unnest(session_ids) from night
    union all
    select finding_uid, 'browsing:' || unnest(browsing_session_ids) from night
    union all
    select finding_uid, 'user:' || unnest(related_user_ids) from night
    union all
    select finding_uid, 'ip:' || unnest(ips) from night
    union all
    select finding_uid, 'infra:' || unnest(infrastructure) from night
)
select distinct k.finding_uid, k.link_key
from keys k
where k.link_key is not null
  and not (k.link_key like 'ip:%' and substr(k.link_key, 4) in (select src_ip from shared_ips))
order by k.finding_uid, k.link_key
