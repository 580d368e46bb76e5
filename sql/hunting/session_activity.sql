-- Everything one session did: its app actions and ProConnect events, in time order.
-- Start here when a finding names a session (replayed cookie, scripted extraction): look for
-- the moment the network or the browser changes, and for reads with no login before them.
-- @param session_id  an app session id (app_session_id) or a ProConnect sessionId
-- @param limit       rows to return (default: 2000)
with app as (
    select event_time, 'app' as source, event_type as event, user_id as account, src_ip, src_as_org,
           src_country, ua_key, device_id, beneficiary_ref, contains_nir, in_portfolio, source_file, source_line
    from app_activity
    where session_id = $session_id
),
pc as (
    select event_time, 'proconnect' as source, event_name as event, user_sub as account, src_ip, src_as_org,
           src_country, ua_key(user_agent) as ua_key, null as device_id, null as beneficiary_ref,
           null as contains_nir, null as in_portfolio, source_file, source_line
    from auth_events
    where session_id = $session_id and not coalesce(is_back_channel, false)
)
select * from app
union all
select * from pc
order by event_time, source, source_line
limit $limit::int
