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
