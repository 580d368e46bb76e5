-- ProConnect logins, one row per authorisation flow (interaction): a full login (the browser came
-- back from the IdP: IDP_CALLEDBACK, where sessionId is regenerated) or an SSO reuse of an existing
-- session (FC_SSO_INITIATED, no IdP round trip). Back-channel calls carry the SP's ip, not the
-- user's, and are left out of the network columns. Only authentication and SSO events form a flow:
-- technical lines, back-channel calls and logouts never do (FC_REQUESTED_LOGOUT_FROM_IDP and
-- FC_SESSION_TERMINATED have no interactionId and would each make a pseudo-login; a
-- SP_REQUESTED_LOGOUT would move a login's last ip/user agent).
-- `pc_logins_between(d0, d1)` reads only those UTC days' partitions (rules look back a day or
-- two, not over the whole lake); `pc_logins` is every day, for analysts.
create or replace macro pc_logins_between(d0, d1) as table
-- net and ua_key are derived once per flow from its last event (not on every event: ua_key is a
-- regular expression): the last event with a network for net, the last event for ua_key.
with front as (
    select *
    from auth_events
    where event_category in ('authentication', 'sso')
      and event_date between d0::date and d1::date
),
flows as (
    select
        coalesce(interaction_id, session_id, event_uid) as login_id,
        min(event_time) as started_at,
        max(event_time) filter (where event_name = 'FC_VERIFIED') as verified_at,
        any_value(user_sub) filter (where user_sub is not null) as user_sub,
        any_value(browsing_session_id) filter (where browsing_session_id is not null) as browsing_session_id,
        -- the session id after IDP_CALLEDBACK (full login) or the reused one (SSO)
        arg_max(session_id, event_time) filter (where session_id is not null) as session_id,
        arg_min(session_id, event_time) filter (where session_id is not null) as initial_session_id,
        bool_or(event_name = 'IDP_CALLEDBACK') as full_login,
        bool_or(event_name = 'FC_SSO_INITIATED') as sso,
        bool_or(event_name = 'FC_VERIFIED') as verified,
        arg_max(src_ip, event_time) as src_ip,
        arg_max(src_asn, event_time) as src_asn,
        arg_max(src_prefix, event_time) as src_prefix,
        arg_max({'asn': src_asn, 'prefix': src_prefix, 'ip': src_ip}, event_time)
            filter (where src_asn is not null or src_prefix is not null or src_ip is not null) as net_event,
        arg_max(src_net_tag, event_time) as src_net_tag,
        arg_max(user_agent, event_time) as user_agent,
        arg_max({'user_agent': user_agent}, event_time) as last_event,
        -- the ACR granted to the SP (interactionAcr, set at FC_VERIFIED), else the last one seen
        coalesce(arg_max(interaction_acr, event_time) filter (where interaction_acr is not null),
                 arg_max(acr, event_time) filter (where acr is not null)) as acr,
        bool_or(is_mfa) as is_mfa,
        list(event_uid order by event_time) as event_uids
    from front
    group by 1
)
select
    login_id, started_at, verified_at, user_sub, browsing_session_id, session_id, initial_session_id,
    full_login, sso, verified, src_ip, src_asn, src_prefix,
    net_key(net_event.asn, net_event.prefix, net_event.ip) as net,
    src_net_tag, user_agent,
    ua_key(last_event.user_agent) as ua_key,
    acr, is_mfa, event_uids
from flows;

create or replace view pc_logins as
select * from pc_logins_between(date '0001-01-01', date '9999-12-31');
