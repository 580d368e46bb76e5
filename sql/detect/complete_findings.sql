-- Complete the day's rule rows into findings: deterministic uid, exposure counted from the lake
-- (distinct beneficiaries read in the finding's sessions that day, restricted to the finding's
-- networks when it names some), evidence (event ids and source lines) when the rule gave none.
create or replace temp table day_findings as
with rows as (
    select *, left(sha256(rule_id || '|' || entity_type || '|' || entity_id || '|' || $event_date::varchar), 32)
        as finding_uid
    from rule_rows
),
exposure_keys as (
    select r.finding_uid, unnest(r.session_ids) as session_id, r.exposure_nets
    from rows r
),
exposed as (
    select
        k.finding_uid,
        count(distinct a.beneficiary_ref) as beneficiaries_exposed,
        list({'event_id': a.event_id, 'event_type': a.event_type, 'session_id': a.session_id,
              'src_ip': a.src_ip, 'source_file': a.source_file, 'source_line': a.source_line}
             order by a.event_time, a.source_line)[1:20] as sample
    from exposure_keys k
    -- app_activity of $event_date (transforms/detect/dayset.py), only the findings' sessions:
    -- runner.write_findings writes them in as a literal list for $session_list, tested as the
    -- day's rows are read (the join alone read every row's columns first); coalesce(..., false)
    -- keeps the same rows and makes DuckDB filter in the scan instead of joining every row with
    -- the list
    join (select * from day_activity where coalesce(session_id in $session_list, false)) a
        on a.session_id = k.session_id
        and (len(k.exposure_nets) = 0 or list_contains(k.exposure_nets, a.net))
    where a.is_read or a.event_category in ('search', 'export', 'admin')
    group by k.finding_uid
)
select
    r.finding_uid,
    r.rule_id,
    r.title,
    r.severity,
    enum_code(r.severity::severity) as severity_rank,  -- 0 informational … 4 critical (transforms/severity.py)
    round(r.confidence, 2) as confidence,
    r.attack,
    r.entity_type,
    r.entity_id,
    r.user_id,
    r.org_siret,
    r.first_seen,
    r.last_seen,
    coalesce(e.beneficiaries_exposed, 0) as beneficiaries_exposed,
    r.metrics,
    coalesce(r.evidence, to_json({'events': coalesce(e.sample, [])})) as evidence,
    -- sorted: rules build these with list(distinct ...), whose order DuckDB does not fix, and
    -- a re-run of a day must give the same findings file byte for byte
    list_sort(r.session_ids) as session_ids,
    list_sort(r.ips) as ips,
    list_sort(r.browsing_session_ids) as browsing_session_ids,
    list_sort(r.related_user_ids) as related_user_ids,
    r.exposure_nets,
    null::varchar as incident_uid
from rows r
left join exposed e using (finding_uid)
qualify row_number() over (partition by r.finding_uid order by r.severity::severity desc) = 1;
