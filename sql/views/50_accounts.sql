-- Accounts seen in the app, with who created them (USER_CREATE / USER_INVITE target ↔ actor).
-- Read from app_events (not app_activity): rules look weeks back for creations and need none
-- of app_activity's derived columns, which cost more than the read.
create or replace view account_creations as
select
    target_user_id as user_id,
    event_time as created_at,
    user_id as creator_user_id,
    session_id as creator_session_id,
    src_ip as creator_ip,
    net_key(src_asn, src_prefix, src_ip) as creator_net,
    src_net_tag as creator_net_tag,
    org_siret as creator_org_siret,
    target_roles,
    event_uid,
    source_file,
    source_line,
    event_date
from app_events
where event_type in ('USER_CREATE', 'USER_INVITE') and outcome = 'success' and target_user_id is not null;

create or replace view accounts as
with seen as (
    select
        user_id,
        any_value(user_sub) filter (where user_sub is not null) as user_sub,
        any_value(org_siret) as org_siret,
        any_value(org_type) as org_type,
        arg_max(user_roles, event_time) as user_roles,
        min(event_time) as first_seen,
        max(event_time) as last_seen
    from app_activity
    group by user_id
),
created as (
    select user_id, min(created_at) as created_at, arg_min(creator_user_id, created_at) as creator_user_id
    from account_creations group by user_id
)
select s.*, c.created_at, c.creator_user_id
from seen s left join created c using (user_id);
