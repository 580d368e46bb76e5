-- One account's profile for one day ($event_date): what it read, when, from where, with what.
-- Written to lake/account_daily/event_date=D/ one day at a time; rules compare a day with the
-- trailing 28 days of these rows (the account's own history) and with its peers.
with day as (
    select *
    from app_activity
    where event_date = $event_date
),
reads as (
    select
        user_id,
        count(*) filter (where is_read) as reads,
        count(distinct beneficiary_ref) filter (where is_read) as distinct_beneficiaries,
        count(*) filter (where is_read and not coalesce(in_portfolio, true)) as reads_out_of_portfolio,
        count(distinct beneficiary_ref) filter (where is_read and not coalesce(in_portfolio, true))
            as distinct_out_of_portfolio,
        count(*) filter (where is_read and coalesce(contains_nir, false)) as nir_reads,
        count(*) filter (where is_read and off_hours) as off_hours_reads,
        sum(records_touched) filter (where event_category = 'search') as list_rows,
        count(*) filter (where is_structure_list) as structure_lists,
        sum(records_touched) filter (where event_category = 'export') as export_rows
    from day
    group by user_id
)
select
    d.user_id,
    any_value(d.user_sub) filter (where d.user_sub is not null) as user_sub,
    any_value(d.org_siret) as org_siret,
    any_value(d.org_type) as org_type,
    array_to_string(list_sort(arg_max(d.user_roles, d.event_time)), '+') as role_key,
    bool_or(d.is_service) as is_service,
    count(*) as events,
    any_value(r.reads) as reads,
    any_value(r.distinct_beneficiaries) as distinct_beneficiaries,
    any_value(r.reads_out_of_portfolio) as reads_out_of_portfolio,
    any_value(r.distinct_out_of_portfolio) as distinct_out_of_portfolio,
    any_value(r.nir_reads) as nir_reads,
    any_value(r.off_hours_reads) as off_hours_reads,
    coalesce(any_value(r.list_rows), 0) as list_rows,
    any_value(r.structure_lists) as structure_lists,
    coalesce(any_value(r.export_rows), 0) as export_rows,
    count(distinct hour(d.local_time)) as active_hours,
    min(d.event_time) as first_event,
    max(d.event_time) as last_event,
    list(distinct d.net) as nets,
    list(distinct d.src_prefix) filter (where d.src_prefix is not null) as prefixes,
    list(distinct d.src_ip) as ips,
    list(distinct d.device_id) filter (where d.device_id is not null) as devices,
    list(distinct d.ua_key) as ua_keys,
    list(distinct d.session_id) as sessions,
    count(*) filter (where d.event_type in ('USER_CREATE', 'USER_INVITE') and d.outcome = 'success')
        as accounts_created,
    count(*) filter (where d.event_type in ('USER_ROLE_GRANT', 'USER_SCOPE_CHANGE') and d.outcome = 'success')
        as role_grants,
    count(*) filter (where d.event_category = 'admin' and d.off_hours) as off_hours_admin
from day d
left join reads r using (user_id)
group by d.user_id
