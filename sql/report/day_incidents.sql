-- The incidents that had a finding on $day, as they stood at the end of that day: only their
-- findings up to $day and the people exposed up to $day count, so a report written later
-- for an earlier day says what was known then. A finding no incident claims stands alone.
with findings_so_far as (
    select *, coalesce(incident_uid, 'finding-' || finding_uid) as incident_key
    from findings
    where event_date <= $day::date
),
of_the_day as (
    select distinct incident_key from findings_so_far where event_date = $day::date
),
parts as (
    select f.*,
        enum_code(f.severity::severity) as severity_rank
    from findings_so_far f
    join of_the_day using (incident_key)
),
exposure as (
    select incident_uid as incident_key,
        count(*) as beneficiaries_exposed,
        count(*) filter (where nir_exposed) as beneficiaries_with_nir,
        count(*) filter (where first_exposed::date = $day::date) as newly_exposed,
        -- true scope: the count above covers the attacker's infrastructure since its first
        -- activity; this one only what the flagged sessions read
        count(*) filter (where coalesce(in_flagged_sessions, true)) as beneficiaries_exposed_flagged,
        min(first_exposed) as first_malicious_activity
    from incident_beneficiaries
    where first_exposed < $day::date + 1
    group by incident_uid
),
scope as (
    select incident_uid as incident_key, scope_searched_from from incidents
)
select
    p.incident_key as incident_uid,
    max(p.severity_rank) as severity_rank,
    max(p.severity::severity)::varchar as severity,
    min(p.first_seen) as first_seen,
    max(p.last_seen) as last_seen,
    min(p.event_date) as first_day,
    max(p.event_date) as last_day,
    count(*) as findings,
    count(*) filter (where p.event_date = $day::date) as findings_today,
    list(distinct p.rule_id order by p.rule_id) as rule_ids,
    arg_max(p.user_id, p.severity_rank * 1e12 + coalesce(p.beneficiaries_exposed, 0)) as primary_account,
    list_sort(list_distinct(list(p.user_id) || flatten(list(p.related_user_ids)))) as accounts,
    list_sort(list_distinct(list(p.org_siret))) as org_sirets,
    list_sort(list_distinct(flatten(list(p.session_ids)))) as sessions,
    -- as the incident stood the night before (what changed since: new accounts, sessions)
    list_sort(list_distinct(coalesce(list(p.user_id) filter (where p.event_date < $day::date), [])
        || coalesce(flatten(list(p.related_user_ids) filter (where p.event_date < $day::date)), []))) as accounts_before,
    list_sort(list_distinct(coalesce(flatten(list(p.session_ids) filter (where p.event_date < $day::date)), [])))
        as sessions_before,
    list_sort(list_distinct(flatten(list(p.browsing_session_ids)))) as browsing_sessions,
    list_sort(list_distinct(flatten(list(p.ips)))) as ips,
    list_sort(list_distinct(flatten(list(p.attack)))) as attack,
    coalesce(any_value(e.beneficiaries_exposed), max(p.beneficiaries_exposed), 0) as beneficiaries_exposed,
    coalesce(any_value(e.beneficiaries_with_nir), 0) as beneficiaries_with_nir,
    coalesce(any_value(e.newly_exposed), 0) as newly_exposed,
    any_value(e.incident_key) is not null as exact_exposure,
    coalesce(any_value(e.beneficiaries_exposed_flagged), 0) as beneficiaries_exposed_flagged,
    any_value(e.first_malicious_activity) as first_malicious_activity,
    any_value(sc.scope_searched_from) as scope_searched_from
from parts p
left join exposure e using (incident_key)
left join scope sc using (incident_key)
group by p.incident_key
order by severity_rank desc, beneficiaries_exposed desc, incident_uid
