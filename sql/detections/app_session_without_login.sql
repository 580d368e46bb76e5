-- App activity that no login explains: a session reading records with no login in the app and
-- no ProConnect FC_VERIFIED for the account (spSub) in the 12 hours before (the cookie's life),
-- or activity after the session's own LOGOUT / SESSION_EXPIRED. Service accounts authenticate
-- otherwise and are left out.
-- A session whose last event is on the day has events on the day: the day's sessions are
-- summarised first, then their rows of the day before, and the two summaries combined.
with today as (
    -- the day's sessions, non-service events (day_sessions: app_activity of $event_date)
    select session_id, user_id, user_sub, org_siret, first_seen, last_seen, has_login, ended_at, reads
    from day_sessions
),
yesterday as (
    select session_id, min(event_time) as first_seen,
        bool_or(event_type in ('SESSION_CREATED', 'LOGIN_CALLBACK_SUCCESS')) as has_login,
        min(event_time) filter (where event_type in ('LOGOUT', 'SESSION_EXPIRED')) as ended_at,
        count(*) filter (where event_category = 'record_read' and outcome = 'success') as reads
    from app_events
    where event_date = $event_date::date - 1 and not coalesce(list_contains(user_roles, 'SERVICE'), false)
      and session_id in (select session_id from today)
    group by session_id
),
sessions as (
    select t.session_id, t.user_id, t.user_sub, t.org_siret,
        least(t.first_seen, y.first_seen) as first_seen, t.last_seen,
        t.has_login or coalesce(y.has_login, false) as has_login,
        least(t.ended_at, y.ended_at) as ended_at,
        t.reads + coalesce(y.reads, 0) as reads
    from today t left join yesterday y using (session_id)
    where t.last_seen::date = $event_date and t.reads + coalesce(y.reads, 0) > 0
),
after_end as (
    select s.session_id, count(*) as events_after_end, list(distinct a.net) as nets
    from sessions s join day_activity a
        on a.session_id = s.session_id and a.event_time > s.ended_at + interval 1 minute
    where s.ended_at is not null
    group by s.session_id
),
no_login as (
    select s.session_id
    from sessions s
    where not s.has_login and not exists (
        select 1 from day_pc_logins l  -- pc_logins_between($event_date - 1, $event_date)
        where l.user_sub = s.user_sub and l.verified
          and l.verified_at between s.first_seen - interval 12 hour and s.first_seen + interval 5 minute)
)
select
    'session' as entity_type, s.session_id as entity_id, s.user_id, s.org_siret, s.first_seen, s.last_seen,
    [s.session_id] as session_ids,
    coalesce(e.nets, []) as exposure_nets,
    to_json({'reads': s.reads, 'has_app_login': s.has_login, 'ended_at': s.ended_at,
             'events_after_end': coalesce(e.events_after_end, 0),
             'no_proconnect_login': s.session_id in (select session_id from no_login)}) as metrics
from sessions s
left join after_end e using (session_id)
where s.session_id in (select session_id from no_login) or e.session_id is not null
