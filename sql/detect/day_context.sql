-- What the rules compare the day with, computed once a night (transforms/detect/dayset.py):
-- the same rows as account_history($event_date), peer_history($event_date) and
-- pc_logins_between($event_date - 1, $event_date) (sql/views/), which rules used to re-evaluate
-- each. day_history keeps only the scalar columns rules read: the two rules that compare
-- networks and devices flatten those lists for their few candidate accounts only.
create or replace temp table day_history as
select
    user_id,
    count(*) as active_days,
    max(distinct_beneficiaries) as max_distinct_beneficiaries,
    max(reads_out_of_portfolio) as max_reads_out_of_portfolio,
    max(off_hours_reads) as max_off_hours_reads,
    max(list_rows) as max_list_rows,
    max(export_rows) as max_export_rows,
    count(*) filter (where off_hours_admin > 0) as days_with_off_hours_admin
from account_daily
where event_date >= $event_date::date - to_days(28) and event_date < $event_date::date
group by user_id;

create or replace temp table day_peers as
select * from peer_history($event_date);

-- the columns rules read (sso_replay_new_network takes its few flows' event ids from auth_events)
create or replace temp table day_pc_logins as
select login_id, started_at, verified_at, user_sub, browsing_session_id, session_id, full_login, sso, verified,
    src_ip, net, ua_key
from pc_logins_between($event_date::date - 1, $event_date);

-- One row per app session of the day (its events of the day; service accounts' events left
-- out, as every rule reading it does): what several rules test first, so that only a few
-- sessions' events are read again (machine_pacing, new_device_network_bulk,
-- session_multi_network, app_session_without_login). Rolled up from day_parts (the day's
-- events grouped once, shared with the baselines), not from the day's events.
create or replace temp table day_sessions as
select
    session_id,
    any_value(user_id) as user_id,
    any_value(user_sub) as user_sub,
    any_value(org_siret) as org_siret,
    min(first_event) as first_seen,
    max(last_event) as last_seen,
    sum(events)::bigint as events,
    sum(reads)::bigint as reads,
    bool_and(password_only) as password_only,
    bool_or(has_login) as has_login,
    min(ended_at) as ended_at,
    min(net) as min_net,
    max(net) as max_net
from day_parts
where not is_service
group by session_id;
