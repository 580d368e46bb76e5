-- Parse, validate, normalise and pseudonymise one batch of ProConnect lines: tracked events and
-- the technical lines that share the stream, in every format era of the federation's code
-- (legacy category/logId/source, Sep-Oct 2025 `ip` = raw X-Forwarded-For, Oct 2025-Aug 2026
-- single `amr`, current spAmr/idpAmr; numeric `level` without `levelNumber` before Oct 2025)
-- and FranceConnect's legacy fields (accountId, isSso, spAcr, device fields).
-- Technical lines (no tracked event: error/info lines with a `code`, Nest start-up lines,
-- oidc-provider errors whose `event` is not a tracked event) are rows with event_category
-- 'technical', never quarantined for what they lack. Free text and `unmapped` are masked by
-- the caller (transforms/ingest/privacy.py) before anything is written.
-- Input: `lines` (source_line, line without its line end, read_error), `_key` (ipad, opad).
-- Parameters: $known (field names of the spec), $file_day (DATE or NULL), $not_before and
-- $not_after (the plausible event times, `clock_skew_reason`).
with parsed as (
    select
        source_line,
        line,
        read_error,
        try(json_transform(line, '{
            "levelNumber":"VARCHAR","level":"VARCHAR","time":"VARCHAR","pid":"VARCHAR",
            "hostname":"VARCHAR","msg":"VARCHAR","message":"VARCHAR","levelLabel":"VARCHAR",
            "id":"VARCHAR","type":"VARCHAR","statusCode":"VARCHAR","stackTrace":"VARCHAR","causes":"VARCHAR",
            "amr":"VARCHAR","isSso":"VARCHAR","spAcr":"VARCHAR","spLoginHint":"VARCHAR","email":"VARCHAR","event":"VARCHAR","step":"VARCHAR","code":"VARCHAR",
            "ip":"VARCHAR","forwardedFor":"VARCHAR","userAgent":"VARCHAR","method":"VARCHAR",
            "path":"VARCHAR","requestId":"VARCHAR","sessionId":"VARCHAR","browsingSessionId":"VARCHAR",
            "interactionId":"VARCHAR","spId":"VARCHAR","spName":"VARCHAR","spEssentialAcr":"VARCHAR",
            "spSiretHint":"VARCHAR","idpId":"VARCHAR","idpName":"VARCHAR","idpLabel":"VARCHAR",
            "idpAcr":"VARCHAR","idpAmr":"VARCHAR","spAmr":"VARCHAR","idpEmail":"VARCHAR",
            "idpEmailFqdn":"VARCHAR","idpLoginHint":"VARCHAR","idpSub":"VARCHAR","idpSiret":"VARCHAR",
            "interactionAcr":"VARCHAR","spSub":"VARCHAR","spSiret":"VARCHAR","category":"VARCHAR",
            "logId":"VARCHAR","source":"VARCHAR","accountId":"VARCHAR","reusesActiveSession":"VARCHAR",
            "deviceTrusted":"VARCHAR","deviceIsSuspicious":"VARCHAR","deviceKnown":"VARCHAR",
            "deviceNewIdentity":"VARCHAR","deviceAccountCount":"VARCHAR"}')) as j,
        case when j is not null then list_filter(json_keys(line), lambda k: not list_contains($known, k)) end
            as unknown_keys
    from lines
),
typed as (
    select
        *,
        try_cast(j.time as double) as time_number,
        -- pino writes epoch milliseconds; tolerate seconds and microseconds by magnitude
        case
            when time_number is null then null
            when abs(time_number) < 1e11 then try(make_timestamp((time_number * 1e6)::bigint))
            when abs(time_number) < 1e14 then try(make_timestamp((time_number * 1e3)::bigint))
            else try(make_timestamp(time_number::bigint))
        end as event_time,
        -- levelNumber (Oct 2025+), else a numeric `level` (the main logger before Oct 2025), else
        -- the label (pino's names; the syslog-like names of the 2025 main logger)
        coalesce(try_cast(j.levelNumber as integer), try_cast(j.level as integer),
                 case lower(coalesce(j.level, j.levelLabel))
                     when 'trace' then 10 when 'debug' then 20 when 'info' then 30 when 'notice' then 30
                     when 'warn' then 40 when 'warning' then 40 when 'error' then 50
                     when 'fatal' then 60 when 'critical' then 60 when 'alert' then 70 when 'emergency' then 80
                 end)
            as level_number,
        try_cast(j.pid as integer) as pid,
        case when j.idpAmr like '[%' then try(from_json(j.idpAmr, '["VARCHAR"]')) end as idp_amr,
        case when j.spAmr like '[%' then try(from_json(j.spAmr, '["VARCHAR"]')) end as sp_amr_list,
        -- Oct 2025-Aug 2026: one `amr`, the AMR granted to the SP (renamed spAmr in Aug 2026)
        case when j.amr like '[%' then try(from_json(j.amr, '["VARCHAR"]'))
             when j.amr is not null then list_filter(string_split(j.amr, ' '), lambda a: a <> '') end as amr_list,
        coalesce(sp_amr_list, amr_list) as sp_amr,
        try_cast(j.isSso as boolean) as is_sso,
        try_cast(j.statusCode as integer) as http_status,
        try_cast(j.reusesActiveSession as boolean) as reuses_active_session,
        try_cast(j.deviceTrusted as boolean) as device_trusted,
        try_cast(j.deviceIsSuspicious as boolean) as device_is_suspicious,
        try_cast(j.deviceKnown as boolean) as device_known,
        try_cast(j.deviceNewIdentity as boolean) as device_new_identity,
        try_cast(j.deviceAccountCount as integer) as device_account_count,
        case when j.source like '{%' then try(json_extract_string(j.source, '$.address')) end as source_address,
        case when j.source like '{%' then try_cast(try(json_extract_string(j.source, '$.port')) as integer) end
            as source_port,
        case when j.source like '{%' then try(json_extract_string(j.source, '$.original_addresses')) end
            as source_original,
        -- the address field as written: `ip`, else legacy `source.address`; before Oct 2025 it
        -- held the raw X-Forwarded-For header ("client, proxy, ..."): the client comes first
        regexp_replace(trim(coalesce(j.ip, source_address)), '\s*,\s*', ', ', 'g') as ip_raw,
        regexp_replace(trim(split_part(ip_raw, ',', 1)), '^::ffff:([0-9.]+)$', '\1') as ip_first,
        case when regexp_full_match(ip_first, '[0-9]{1,3}(\.[0-9]{1,3}){3}')
                  or (contains(ip_first, ':') and regexp_full_match(ip_first, '[0-9A-Fa-f:.]+'))
             then ip_first end as ip_valid
    from parsed
),
checked as (
    select
        *,
        case
            when read_error is not null then read_error
            when j is null and trim(line, e' \t') = '' then 'empty_line'
            when j is null then 'invalid_json: the line is not valid JSON'
            when not starts_with(ltrim(left(line, 64), e' \t'), '{') then 'invalid_json: the line is not a JSON object'
            when j.time is null then 'missing_field: time'
            when event_time is null then 'bad_time: time is not epoch milliseconds: ' || left(j.time, 40)
            when j.levelNumber is not null and try_cast(j.levelNumber as integer) is null
                then 'wrong_type: levelNumber'
            when j.idpAmr is not null and idp_amr is null then 'wrong_type: idpAmr'
            when j.spAmr is not null and sp_amr_list is null then 'wrong_type: spAmr'
            when j.amr is not null and amr_list is null then 'wrong_type: amr'
            when j.source is not null and (not starts_with(j.source, '{') or not json_valid(j.source))
                then 'wrong_type: source'
            when j.reusesActiveSession is not null and reuses_active_session is null
                then 'wrong_type: reusesActiveSession'
            when j.isSso is not null and is_sso is null then 'wrong_type: isSso'
            else clock_skew_reason(event_time, $file_day, $not_before, $not_after)
        end as reject_reason
    from typed
)
select
    source_line,
    reject_reason,
    case when reject_reason is not null then line end as raw_line,
    event_time,
    event_time::date as event_date,
    coalesce(j.logId, left(md5(line), 32)) as event_uid,
    -- legacy: category/source (the Sep-Oct 2025 business log kept logId without them)
    case when j.category is not null or j.source is not null then 'legacy' else 'current' end as log_variant,
    coalesce(j.level, j.levelLabel) as level,
    level_number,
    j.code as error_code,
    coalesce(j.message, j.msg) as message,
    j.id as error_id,
    j.type as error_type,
    http_status,
    j.stackTrace as stack_trace,
    j.causes as error_causes,
    j.event as event_name,
    j.step as step,
    j.category as legacy_category,
    case
        -- no tracked event: a line with a `code`, or an `event` that is not a tracked event's
        -- upper-case name (oidc-provider's `grant.error`, `server_error`...)
        when j.event is null or j.code is not null or not regexp_full_match(j.event, '[A-Z][A-Z0-9_]*')
            then 'technical'
        when j.event in ('SP_REQUESTED_FC_TOKEN', 'SP_REQUESTED_FC_USERINFO', 'IDP_REQUESTED_FC_JWKS') then 'back_channel'
        when j.event = 'FC_SSO_INITIATED' then 'sso'
        when j.event in ('SP_REQUESTED_LOGOUT', 'FC_REQUESTED_LOGOUT_FROM_IDP', 'FC_SESSION_TERMINATED')
            then 'logout'
        when j.event like 'FC_%' or j.event like 'IDP_%' then 'authentication'
        else 'other'
    end as event_category,
    coalesce(j.event in ('SP_REQUESTED_FC_TOKEN', 'SP_REQUESTED_FC_USERINFO', 'IDP_REQUESTED_FC_JWKS'), false)
        as is_back_channel,
    ip_valid as src_ip,
    case when ip_raw is distinct from ip_valid then ip_raw end as src_ip_chain,
    source_port as src_port,
    case when j.forwardedFor like '[%'
         then array_to_string(try(from_json(j.forwardedFor, '["VARCHAR"]')), ', ')
         else coalesce(j.forwardedFor, source_original) end as forwarded_for,
    j.userAgent as user_agent,
    j.method as http_method,
    j.path as http_path,
    j.requestId as request_id,
    j.sessionId as session_id,
    j.browsingSessionId as browsing_session_id,
    j.interactionId as interaction_id,
    j.spSub as user_sub,
    j.accountId as account_id,
    email_pseudonym(k.ipad, k.opad, j.idpEmail) as user_email_ref,
    coalesce(lower(j.idpEmailFqdn), lower(split_part(j.idpEmail, '@', -1))) as user_email_domain,
    -- the e-mail typed or hinted: idpLoginHint, legacy `email`
    case when coalesce(j.idpLoginHint, j.email) like '%@%'
         then email_pseudonym(k.ipad, k.opad, coalesce(j.idpLoginHint, j.email))
         else pseudonym(k.ipad, k.opad, trim(coalesce(j.idpLoginHint, j.email))) end as login_hint_ref,
    case when j.spLoginHint like '%@%' then email_pseudonym(k.ipad, k.opad, j.spLoginHint)
         else pseudonym(k.ipad, k.opad, trim(j.spLoginHint)) end as sp_login_hint_ref,
    j.idpSub as idp_sub,
    j.idpId as idp_id,
    j.idpName as idp_name,
    j.idpLabel as idp_label,
    j.idpSiret as idp_siret,
    j.idpAcr as idp_acr,
    idp_amr,
    j.spId as sp_id,
    j.spName as sp_name,
    j.spSiret as sp_siret,
    j.spSiretHint as sp_siret_hint,
    j.spEssentialAcr as sp_essential_acr,
    sp_amr,
    j.interactionAcr as interaction_acr,
    j.spAcr as sp_acr,
    -- the ACR granted to the SP (interactionAcr; FranceConnect's spAcr), else the IdP's
    coalesce(j.interactionAcr, j.spAcr, j.idpAcr) as acr,
    coalesce(coalesce(j.interactionAcr, j.spAcr, j.idpAcr) in ('eidas2', 'eidas3')
        or coalesce(j.interactionAcr, j.spAcr, j.idpAcr) like '%-mfa'
        or list_has_any(list_concat(coalesce(idp_amr, []), coalesce(sp_amr, [])), ['mfa', 'totp', 'otp', 'pop']), false)
        as is_mfa,
    reuses_active_session,
    is_sso,
    device_trusted,
    device_is_suspicious,
    device_known,
    device_new_identity,
    device_account_count,
    pid,
    j.hostname as hostname,
    case when len(unknown_keys) > 0 then
        to_json(map_from_entries(list_filter(
            map_entries(json_transform(line, '"MAP(VARCHAR, JSON)"')),
            lambda e: not list_contains($known, e.key))))
    end as unmapped
from checked, _key k
