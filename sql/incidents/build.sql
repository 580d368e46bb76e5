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
       list_distinct(flatten(list(exposure_nets))) as nets
from (select incident_uid, unnest(session_ids) as session_id, exposure_nets from incident_findings)
group by incident_uid, session_id;

-- the window's events of those sessions, read once for the exposure and the networks below
create or replace temp table incident_events as
select a.session_id, a.net, a.is_read, a.beneficiary_ref, a.contains_nir, a.event_type, a.event_time, a.src_ip
from app_actions a
where a.event_date in $event_days
  and coalesce(a.session_id in (select distinct session_id from incident_sessions), false);

create or replace temp table incident_beneficiaries_new as
select
    s.incident_uid,
    a.beneficiary_ref,
    bool_or(coalesce(a.contains_nir, false) or a.event_type = 'BENEFICIARY_NIR_REVEAL') as nir_exposed,
    min(a.event_time) as first_exposed,
    max(a.event_time) as last_exposed,
    count(*) as records
from incident_sessions s
join incident_events a
    on a.session_id = s.session_id and (len(s.nets) = 0 or list_contains(s.nets, a.net))
where a.is_read and a.beneficiary_ref is not null
group by s.incident_uid, a.beneficiary_ref;

create or replace temp table incidents_new as
with sev as (
    select incident_uid,
        max(case severity when 'critical' then 4 when 'high' then 3 when 'medium' then 2
                          when 'low' then 1 else 0 end) as rank
    from incident_findings group by incident_uid
),
nets as (
    select s.incident_uid, list(distinct a.net) as networks, list(distinct a.src_ip) as session_ips
    from incident_sessions s
    join incident_events a on a.session_id = s.session_id and (len(s.nets) = 0 or list_contains(s.nets, a.net))
    group by s.incident_uid
),
exposure as (
    select incident_uid, count(*) as beneficiaries_exposed,
           count(*) filter (where nir_exposed) as beneficiaries_with_nir
    from incident_beneficiaries_new group by incident_uid
),
live as (
    select
        f.incident_uid,
        ['info', 'low', 'medium', 'high', 'critical'][any_value(sev.rank) + 1] as severity,
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
        any_value(t.finding_days) as finding_days,
        any_value(t.link_keys) as link_keys,
        null::varchar as merged_into
    from incident_findings f
    join sev using (incident_uid)
    join touched_meta t using (incident_uid)
    left join nets using (incident_uid)
    left join exposure using (incident_uid)
    group by f.incident_uid
)
select * from live
union all by name
-- an incident a finding of the night joined to an earlier one: its last version says where it went
select incident_uid, merged_into from absorbed;

drop table incident_events;
