-- Distinct beneficiaries read in a day far above the account's own history AND its peers,
-- with an absolute floor (Splunk-style: floor and deviation together). Cold start: an account
-- with no history is compared with its peers and the floor only; with no peers' history either
-- (a new lake), only when most of its reads are out of its organisation's portfolio.
with today as (
    select * from account_daily where event_date = $event_date and not is_service
),
compared as (
    select
        t.*,
        coalesce(h.max_distinct_beneficiaries, 0) as own_max,
        coalesce(h.active_days, 0) as history_days,
        coalesce(p.p99_distinct_beneficiaries, 0) as peer_p99,
        coalesce(p.peer_history_days, 0) as peer_history_days
    from today t
    left join day_history h using (user_id)
    left join day_peers p using (org_type, role_key)
),
flagged as (
    select *
    from compared
    where distinct_beneficiaries >= $floor
      and distinct_beneficiaries >= $own_factor * own_max
      and distinct_beneficiaries >= $peer_factor * peer_p99
      -- with neither its own history nor a few days of its peers' (the lake's first days: one
      -- day of peers gives a p99 below what heavy users read), volume alone is a heavy user's
      -- ordinary day: only reads mostly outside the portfolio count then
      and (history_days >= 1 or peer_history_days >= $min_peer_history_days
           or reads_out_of_portfolio >= $cold_out_share * reads)
),
-- the sessions that carried the volume (not the owner's ordinary sessions of the same day)
bulk_sessions as (
    select user_id, list(session_id) as session_ids, list(distinct net) as ips_nets
    from (
        select user_id, session_id, any_value(net) as net, count(distinct beneficiary_ref) as n
        from day_activity where is_read and user_id in (select user_id from flagged) group by all
    ) s
    join flagged f using (user_id)
    where s.n >= $session_share * f.distinct_beneficiaries
    group by user_id
)
select
    'user' as entity_type,
    f.user_id as entity_id,
    f.user_id,
    f.org_siret,
    f.first_event as first_seen,
    f.last_event as last_seen,
    case when f.reads_out_of_portfolio >= 0.8 * f.reads then 'critical' else 'high' end
        as severity,
    least(0.99, 0.6 + 0.1 * ln(f.distinct_beneficiaries / greatest($floor, 1))) as confidence,
    b.session_ids,
    to_json({'distinct_beneficiaries': f.distinct_beneficiaries, 'own_max_28d': f.own_max,
             'history_days': f.history_days, 'peer_p99': f.peer_p99,
             'out_of_portfolio_reads': f.reads_out_of_portfolio, 'nir_reads': f.nir_reads}) as metrics
from flagged f
left join bulk_sessions b using (user_id)
