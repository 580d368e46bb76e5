-- The night's versions of the incidents it touched, from the finding→incident map of those
-- incidents (`finding_incident`, made by incidents.py) and their metadata (`touched_meta`):
-- accounts, sessions, networks, window, and the exact exposure counted from the lake: every
-- distinct beneficiary read in the incident's sessions (limited to the networks a finding
-- named for that session, so the owner's own work in a replayed session is not counted).
-- Only the findings partitions of the incident's finding days ($finding_files) and the event
-- partitions of those days and the days on either side ($event_days, never after the night)
-- are read: the incident's window, not the lake.
create or replace temp table incident_findings as
select m.incident_uid, f.* exclude (incident_uid)
from read_parquet($finding_files, hive_partitioning = true, hive_types = {'event_date': DATE},
                  union_by_name = true) f
join finding_incident m using (finding_uid);

create or replace temp table incident_sessions as
select incident_uid, session_id,
       -- the most precise finding wins: when any finding on this session named the networks
       -- that misused it, only those count; otherwise the whole session does
       list_sort(list_distinct(flatten(list(exposure_nets)))) as nets
from (select incident_uid, unnest(session_ids) as session_id, exposure_nets from incident_findings)
group by incident_uid, session_id;

-- the incident's accounts (their own and creator<->created links)
create or replace temp table incident_accounts as
select distinct incident_uid, user_id
from (select incident_uid, user_id from incident_findings
      union all select incident_uid, unnest(related_user_ids) from incident_findings)
where user_id is not null;

create or replace temp table incident_first as
select incident_uid, min(event_date) as first_day from incident_findings group by incident_uid;

-- the events of those sessions and accounts, read once: the flagged sessions over the findings'
-- days ($event_days), the accounts over the scope's days ($scope_days, never after the night)
create or replace temp table incident_events as
select a.user_id, a.session_id, a.net, a.src_prefix, a.src_net_tag, a.device_id, a.is_read, a.beneficiary_ref,
       a.in_portfolio, a.contains_nir, a.event_type, a.event_time, a.src_ip, a.event_date
from app_actions a
where a.event_date in $scope_days
  and (coalesce(a.session_id in (select distinct session_id from incident_sessions), false)
       or coalesce(a.user_id in (select distinct user_id from incident_accounts), false));

-- what the findings named: their sessions (limited to the misusing networks when named)
create or replace temp table incident_flagged as
select s.incident_uid, a.*
from incident_sessions s
join incident_events a
    on a.session_id = s.session_id and (len(s.nets) = 0 or list_contains(s.nets, a.net))
join touched_meta t on t.incident_uid = s.incident_uid
-- each incident's own finding days and the day on either side
where a.event_date in $event_days
  and list_has_any(t.finding_days, [a.event_date - 1, a.event_date, a.event_date + 1]);

-- True scope. The attacker's infrastructure is what the flagged activity used that is not the
-- owner's: its devices, less the owner's (a device the account used from its office or VPN, or
-- in a session that read mostly in its portfolio: a copied cookie stays the owner's device),
-- and its networks (/24, /64) that are not office, VPN, mobile or SP back-end. Every read of
-- the incident's accounts from that infrastructure since $lookback_days before the first
-- finding (or the lake's first day) is in scope, nights before the first finding included;
-- the owner's own devices stay out, wherever they connect from.
create or replace temp table incident_infra as
with owner_sessions as (
    select i.incident_uid, e.user_id, e.session_id, e.device_id,
           bool_or(coalesce(e.src_net_tag in ('office', 'vpn'), false)) as from_office,
           count(*) filter (where e.is_read and coalesce(e.in_portfolio, false)) as reads_in,
           count(*) filter (where e.is_read) as reads
    from incident_accounts i join incident_events e using (user_id)
    where e.device_id is not null
    group by all
),
owner as (
    select incident_uid, user_id, list(distinct device_id order by device_id) as devices
    from owner_sessions
    where from_office or (reads > 0 and reads_in * 2 >= reads)
    group by all
),
flagged as (
    select incident_uid, user_id,
           list(distinct device_id order by device_id) filter (where device_id is not null) as devices,
           list(distinct src_prefix order by src_prefix) filter (where src_prefix is not null
               and coalesce(src_net_tag, '') not in ('office', 'vpn', 'mobile', 'sp_backend')) as prefixes
    from incident_flagged
    where user_id in (select user_id from incident_accounts a where a.incident_uid = incident_flagged.incident_uid)
    group by all
)
select f.incident_uid, f.user_id,
       list_sort(list_filter(coalesce(f.devices, []), lambda d: not list_contains(coalesce(o.devices, []), d))) as attacker_devices,
       list_sort(coalesce(f.prefixes, [])) as attacker_prefixes,
       coalesce(o.devices, []) as owner_devices
from flagged f left join owner o using (incident_uid, user_id);

create or replace temp table incident_scope as
select i.incident_uid, e.*
from incident_infra i
join incident_events e using (user_id)
join incident_first f on f.incident_uid = i.incident_uid
where e.event_date >= f.first_day - to_days($lookback_days)
  and (coalesce(list_contains(i.attacker_devices, e.device_id), false)
       or (coalesce(list_contains(i.attacker_prefixes, e.src_prefix), false)
           and not coalesce(list_contains(i.owner_devices, e.device_id), false)));

create or replace temp table incident_beneficiaries_new as
select
    incident_uid,
    beneficiary_ref,
    bool_or(coalesce(contains_nir, false) or event_type = 'BENEFICIARY_NIR_REVEAL') as nir_exposed,
    min(event_time) as first_exposed,
    max(event_time) as last_exposed,
    -- an event in both sets is counted once: the larger of the two counts
    greatest(count(*) filter (where flagged), count(*) filter (where not flagged)) as records,
    bool_or(flagged) as in_flagged_sessions
from (select *, true as flagged from incident_flagged
      union all by name
      select *, false as flagged from incident_scope)
where is_read and beneficiary_ref is not null
group by incident_uid, beneficiary_ref;

create or replace temp table incidents_new as
with sev as (
    select incident_uid,
        max(severity::severity) as severity
    from incident_findings group by incident_uid
),
nets as (
    select a.incident_uid, list(distinct a.net order by a.net) as networks, list(distinct a.src_ip order by a.src_ip) as session_ips
    from incident_flagged a
    group by a.incident_uid
),
exposure as (
    select incident_uid, count(*) as beneficiaries_exposed,
           count(*) filter (where nir_exposed) as beneficiaries_with_nir,
           count(*) filter (where in_flagged_sessions) as beneficiaries_exposed_flagged,
           count(*) filter (where in_flagged_sessions and nir_exposed) as beneficiaries_with_nir_flagged,
           min(first_exposed) as first_malicious_activity
    from incident_beneficiaries_new group by incident_uid
),
infra as (
    select incident_uid, list_sort(list_distinct(flatten(list(attacker_devices)))) as attacker_devices,
           list_sort(list_distinct(flatten(list(attacker_prefixes)))) as attacker_prefixes
    from incident_infra group by incident_uid
),
live as (
    select
        f.incident_uid,
        any_value(sev.severity)::varchar as severity,
        min(f.first_seen) as first_seen,
        max(f.last_seen) as last_seen,
        min(f.event_date) as first_day,
        max(f.event_date) as last_day,
        list(distinct f.rule_id order by f.rule_id) as rule_ids,
        list(f.finding_uid order by f.event_date, f.finding_uid) as finding_uids,
        list_sort(list_distinct(list(f.user_id) || flatten(list(f.related_user_ids)))) as accounts,
        list_sort(list_distinct(list(f.org_siret))) as org_sirets,
        list_sort(list_distinct(flatten(list(f.session_ids)))) as sessions,
        list_sort(list_distinct(flatten(list(f.browsing_session_ids)))) as browsing_sessions,
        list_sort(list_distinct(flatten(list(f.ips)) || coalesce(any_value(nets.session_ips), []))) as ips,
        list_sort(coalesce(any_value(nets.networks), [])) as networks,
        coalesce(any_value(exposure.beneficiaries_exposed), 0) as beneficiaries_exposed,
        coalesce(any_value(exposure.beneficiaries_with_nir), 0) as beneficiaries_with_nir,
        -- full scope above; what the flagged sessions alone exposed here
        coalesce(any_value(exposure.beneficiaries_exposed_flagged), 0) as beneficiaries_exposed_flagged,
        coalesce(any_value(exposure.beneficiaries_with_nir_flagged), 0) as beneficiaries_with_nir_flagged,
        any_value(exposure.first_malicious_activity) as first_malicious_activity,
        greatest((any_value(fi.first_day) - to_days($lookback_days))::date, $lake_start::date) as scope_searched_from,
        coalesce(any_value(infra.attacker_devices), []) as attacker_devices,
        coalesce(any_value(infra.attacker_prefixes), []) as attacker_prefixes,
        any_value(t.finding_days) as finding_days,
        any_value(t.link_keys) as link_keys,
        null::varchar as merged_into
    from incident_findings f
    join sev using (incident_uid)
    join touched_meta t using (incident_uid)
    left join nets using (incident_uid)
    left join exposure using (incident_uid)
    left join infra using (incident_uid)
    join incident_first fi using (incident_uid)
    group by f.incident_uid
)
select * from live
union all by name
-- an incident a finding of the night joined to an earlier one: its last version says where it went
select incident_uid, merged_into from absorbed;

drop table incident_events;
drop table incident_scope;
