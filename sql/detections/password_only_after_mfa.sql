-- A session authenticated by password only that reads people's files, on an account whose
-- every session of the previous $history_days days used MFA (on at least $min_mfa_days days):
-- the second factor was bypassed, as when a stolen password (an infostealer's log, a phished
-- one) is replayed through a login path that does not ask for it. Volume does not matter: the
-- low-and-slow reader and the scripted one are both found on their first day. Accounts that
-- never used MFA, or sometimes work without it, are never compared; service accounts neither.
with candidates as (
    select session_id, user_id
    from day_sessions  -- non-service events
    where password_only and reads >= $min_reads
),
-- the candidate accounts' earlier sessions, each MFA or not (only these accounts are read)
earlier_sessions as (
    select user_id, session_id, any_value(event_date) as event_date, bool_or(is_mfa) as mfa
    from app_events
    where event_date >= $event_date::date - to_days($history_days) and event_date < $event_date::date
      and user_id in (select user_id from candidates)
    group by user_id, session_id
),
habits as (
    select user_id,
        count(distinct event_date) filter (where mfa) as mfa_days,
        count(*) filter (where mfa) as mfa_sessions,
        count(*) filter (where not mfa) as password_only_sessions
    from earlier_sessions
    group by user_id
),
-- what the day's password-only sessions of those accounts did
sessions as (
    select e.session_id, any_value(e.user_id) as user_id, any_value(e.org_siret) as org_siret,
        min(e.event_time) as first_seen, max(e.event_time) as last_seen,
        count(distinct e.beneficiary_ref) filter (where e.is_read) as distinct_beneficiaries,
        count(*) filter (where e.is_read and not coalesce(e.in_portfolio, true)) as reads_out_of_portfolio,
        list(distinct e.src_ip) as ips, list(distinct e.net) as nets,
        list(distinct e.device_id) filter (where e.device_id is not null) as devices
    from day_activity e
    where not e.is_service and e.session_id in (select session_id from candidates)
    group by e.session_id
)
select
    'session' as entity_type, s.session_id as entity_id, s.user_id, s.org_siret, s.first_seen, s.last_seen,
    [s.session_id] as session_ids,
    s.ips,
    to_json({'distinct_beneficiaries': s.distinct_beneficiaries, 'reads_out_of_portfolio': s.reads_out_of_portfolio,
             'networks': list_sort(s.nets), 'devices': list_sort(s.devices), 'mfa_days': h.mfa_days,
             'mfa_sessions': h.mfa_sessions, 'history_days': $history_days}) as metrics
from sessions s
join habits h using (user_id)
where h.mfa_days >= $min_mfa_days
  and h.password_only_sessions = 0
