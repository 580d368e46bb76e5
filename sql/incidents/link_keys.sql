-- What links findings into one incident: the same account, app or ProConnect session, browsing
-- session, creator→created account, or source IP. Shared egress (office NAT, VPN concentrator,
-- mobile carrier, SP back-end) would glue unrelated people together, so those IPs never link.
with shared_ips as (
    select distinct src_ip
    from app_events
    where src_net_tag in ('office', 'vpn', 'mobile', 'sp_backend')
),
keys as (
    select finding_uid, event_date, 'user:' || user_id as link_key from findings where user_id is not null
    union all
    select finding_uid, event_date, 'session:' || unnest(session_ids) from findings
    union all
    select finding_uid, event_date, 'browsing:' || unnest(browsing_session_ids) from findings
    union all
    select finding_uid, event_date, 'user:' || unnest(related_user_ids) from findings
    union all
    select finding_uid, event_date, 'ip:' || unnest(ips) from findings
)
select k.finding_uid, k.event_date, k.link_key
from keys k
where k.link_key is not null
  and not (k.link_key like 'ip:%' and substr(k.link_key, 4) in (select src_ip from shared_ips))
order by k.event_date, k.finding_uid
