-- The trailing history rules compare a day with: the account's own last 28 days and its peers
-- (same organisation type and role). Table macros, so a rule calls account_history($event_date).
create or replace macro account_history(d, days := 28) as table
select
    user_id,
    count(*) as active_days,
    max(distinct_beneficiaries) as max_distinct_beneficiaries,
    quantile_cont(distinct_beneficiaries, 0.9) as p90_distinct_beneficiaries,
    median(distinct_beneficiaries) as median_distinct_beneficiaries,
    max(reads_out_of_portfolio) as max_reads_out_of_portfolio,
    max(off_hours_reads) as max_off_hours_reads,
    max(list_rows) as max_list_rows,
    max(export_rows) as max_export_rows,
    max(accounts_created) as max_accounts_created,
    sum(accounts_created) as accounts_created,
    count(*) filter (where off_hours_admin > 0) as days_with_off_hours_admin,
    flatten(list(nets)) as nets,
    flatten(list(prefixes)) as prefixes,
    flatten(list(ips)) as ips,
    flatten(list(devices)) as devices,
    flatten(list(ua_keys)) as ua_keys,
    min(first_event) as first_event
from account_daily
where event_date >= d::date - to_days(days) and event_date < d::date
group by user_id;

create or replace macro peer_history(d, days := 28) as table
select
    org_type,
    role_key,
    count(distinct user_id) as peers,
    count(*) as peer_days,
    count(distinct event_date) as peer_history_days,
    quantile_cont(distinct_beneficiaries, 0.99) as p99_distinct_beneficiaries,
    quantile_cont(reads_out_of_portfolio, 0.99) as p99_reads_out_of_portfolio,
    quantile_cont(list_rows, 0.99) as p99_list_rows
from account_daily
where event_date >= d::date - to_days(days) and event_date < d::date
group by org_type, role_key;
