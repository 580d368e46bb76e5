-- Many records of people the account's organisation does not follow, in one day, when the
-- account has no such habit. Heavy users with large portfolios and campaign days stay inside
-- the portfolio; DIRECTION's structure exports are lists, not record reads.
with today as (
    select * from account_daily where event_date = $event_date and not is_service
),
flagged as (
    select t.*, coalesce(h.max_reads_out_of_portfolio, 0) as own_max, coalesce(h.active_days, 0) as history_days
    from today t
    left join day_history h using (user_id)
    where t.distinct_out_of_portfolio >= $floor
      and t.reads_out_of_portfolio >= $min_share * t.reads
      and t.reads_out_of_portfolio >= $own_factor * coalesce(h.max_reads_out_of_portfolio, 0)
),
-- the sessions that did it (not the owner's ordinary sessions with a stray out-of-portfolio read)
sessions as (
    select user_id, list(session_id) as session_ids
    from (
        select user_id, session_id, count(distinct beneficiary_ref) as n
        from day_activity
        where is_read and not coalesce(in_portfolio, true)
          and user_id in (select user_id from flagged)
        group by all
    )
    where n >= $session_min
    group by user_id
)
select
    'user' as entity_type, user_id as entity_id, user_id, org_siret,
    first_event as first_seen, last_event as last_seen,
    case when distinct_out_of_portfolio >= $critical_floor then 'critical' else 'high' end as severity,
    s.session_ids,
    to_json({'distinct_out_of_portfolio': distinct_out_of_portfolio, 'reads': reads,
             'out_of_portfolio_share': round(reads_out_of_portfolio / greatest(reads, 1), 3),
             'own_max_28d': own_max, 'history_days': history_days}) as metrics
from flagged join sessions s using (user_id)
