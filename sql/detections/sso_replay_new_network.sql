-- A stolen post-login ProConnect cookie replayed: FC_SSO_INITIATED on a session first opened
-- by a full login (IDP_CALLEDBACK) from another network and another browser, with no new
-- IdP round trip. The SSO flow's own network/browser must both differ from the login's.
with logins as (
    -- a ProConnect session lives 12 hours: its full login is at most the day before
    select * from day_pc_logins where session_id is not null  -- pc_logins_between($event_date - 1, $event_date)
),
origin as (
    select session_id, arg_min(net, started_at) as login_net, arg_min(ua_key, started_at) as login_ua,
        arg_min(src_ip, started_at) as login_ip, any_value(user_sub) as user_sub
    from logins where full_login group by session_id
),
replays as (
    select l.*, o.login_net, o.login_ua, o.login_ip
    from logins l join origin o using (session_id)
    where l.sso and not l.full_login and l.started_at::date = $event_date
      and l.net <> o.login_net and l.ua_key <> o.login_ua
),
-- pc_logins' event_uids (the flow's events in time order), for these few flows only
replay_events as (
    select coalesce(interaction_id, session_id, event_uid) as login_id, list(event_uid order by event_time) as event_uids
    from auth_events
    where event_category in ('authentication', 'sso')  -- the events pc_logins makes flows of
      and event_date between $event_date::date - 1 and $event_date
      and coalesce(interaction_id, session_id, event_uid) in (select login_id from replays)
    group by 1
),
reuse as (
    select r.*, e.event_uids
    from replays r left join replay_events e using (login_id)
),
account as (
    select user_sub, any_value(user_id) as user_id, any_value(org_siret) as org_siret
    from account_daily
    where user_sub is not null and event_date between $event_date::date - 28 and $event_date
      and user_sub in (select user_sub from reuse)  -- only the replayed accounts are looked up
    group by user_sub
)
select
    'session' as entity_type, r.session_id as entity_id, a.user_id, a.org_siret,
    min(r.started_at) as first_seen, max(r.started_at) as last_seen,
    list(distinct r.src_ip) as ips,
    list(distinct r.browsing_session_id) filter (where r.browsing_session_id is not null) as browsing_session_ids,
    -- the app sessions opened from the replaying network, for exposure
    coalesce((select list(distinct x.session_id) from day_activity x
              where x.user_sub = any_value(r.user_sub)
                and list_contains(list(distinct r.net), x.net)), []) as session_ids,
    list(distinct r.net) as exposure_nets,
    to_json({'login_network': any_value(r.login_net), 'login_browser': any_value(r.login_ua),
             'sso_networks': list_sort(list(distinct r.net)), 'sso_browsers': list_sort(list(distinct r.ua_key)),
             'evidence_event_uids': list_sort(flatten(list(r.event_uids)))}) as metrics
from reuse r
left join account a on a.user_sub = r.user_sub
group by r.session_id, a.user_id, a.org_siret
