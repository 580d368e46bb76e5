-- Exposure accumulated over days by an account that stays under every daily threshold:
-- out-of-portfolio beneficiaries summed over a trailing window, on several days, with a
-- high out-of-portfolio share. Cold start: needs no history (it is its own history).
with window_days as (
    select *
    from account_daily
    where event_date > $event_date::date - to_days($window_days) and event_date <= $event_date
      and not is_service
),
per_account as (
    select
        user_id,
        any_value(org_siret) as org_siret,
        sum(distinct_out_of_portfolio) as out_of_portfolio,
        sum(reads) as reads,
        sum(reads_out_of_portfolio) as reads_out,
        count(*) filter (where distinct_out_of_portfolio >= $daily_min) as days_active,
        bool_or(event_date = $event_date and distinct_out_of_portfolio >= $daily_min) as active_today,
        min(first_event) as first_seen,
        max(last_event) as last_seen
    from window_days
    group by user_id
),
flagged as (
    select * from per_account
    where active_today and out_of_portfolio >= $window_floor and days_active >= $min_days
      and reads_out >= $min_share * reads
),
-- every session of the window that read out of portfolio in bulk: the incident then counts
-- the exposure of the whole accumulation, including days no rule flagged on their own
sessions as (
    select user_id, list(session_id) as session_ids
    from (
        select user_id, session_id, count(*) as n  -- reads, not distinct: a threshold, and cheap
        from app_events  -- a week back: the raw events, none of app_activity's derived columns
        where event_date > $event_date::date - to_days($window_days) and event_date <= $event_date
          and event_category = 'record_read' and outcome = 'success' and not coalesce(in_portfolio, true) and user_id in (select user_id from flagged)
        group by all
    )
    where n >= $session_min
    group by user_id
)
select
    'user' as entity_type, user_id as entity_id, user_id, org_siret, first_seen, last_seen,
    s.session_ids,
    to_json({'out_of_portfolio_window': out_of_portfolio, 'days_active': days_active,
             'window_days': $window_days, 'out_of_portfolio_share': round(reads_out / greatest(reads, 1), 3)})
        as metrics
from flagged join sessions s using (user_id)
