-- ProConnect sessions (post-login sessionId): the account, the networks and browsers that used it.
create or replace view pc_sessions as
select
    session_id,
    any_value(user_sub) filter (where user_sub is not null) as user_sub,
    any_value(browsing_session_id) filter (where browsing_session_id is not null) as browsing_session_id,
    min(started_at) as first_seen,
    max(started_at) as last_seen,
    count(*) filter (where full_login) as full_logins,
    count(*) filter (where sso and not full_login) as sso_reuses,
    list(distinct net order by net) as nets,
    list(distinct ua_key order by ua_key) as ua_keys
from pc_logins
where session_id is not null
group by session_id;
