-- Parse, validate, normalise and pseudonymise one batch of ProConnect tracked-event lines
-- (current pino format and the legacy variant with category/logId/source/accountId).
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
            "hostname":"VARCHAR","msg":"VARCHAR","event":"VARCHAR","step":"VARCHAR","code":"VARCHAR",
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
        coalesce(try_cast(j.levelNumber as integer),
                 case j.level when 'trace' then 10 when 'debug' then 20 when 'info' then 30
                              when 'warn' then 40 when 'error' then 50 when 'fatal' then 60 end)
            as level_number,
        try_cast(j.pid as integer) as pid,
        case when j.idpAmr like '[%' then try(from_json(j.idpAmr, '["VARCHAR"]')) end as idp_amr,
        case when j.spAmr like '[%' then try(from_json(j.spAmr, '["VARCHAR"]')) end as sp_amr,
        try_cast(j.reusesActiveSession as boolean) as reuses_active_session,
        try_cast(j.deviceTrusted as boolean) as device_trusted,
        try_cast(j.deviceIsSuspicious as boolean) as device_is_suspicious,
        try_cast(j.deviceKnown as boolean) as device_known,
        try_cast(j.deviceNewIdentity as boolean) as device_new_identity,
        try_cast(j.deviceAccountCount as integer) as device_account_count,
        case when j.source like '{%' then try(json_extract_string(j.source, '$.address')) end as source_address,
        case when j.source like '{%' then try_cast(try(json_extract_string(j.source, '$.port')) as integer) end
            as source_port,
        case when j.source like '{%' then try(json_extract(j.source, '$.original_addresses')) end
            as source_original
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
            when j.event is null and coalesce(level_number, 30) < 40 then 'missing_field: event'
            when j.levelNumber is not null and try_cast(j.levelNumber as integer) is null
                then 'wrong_type: levelNumber'
            when j.idpAmr is not null and idp_amr is null then 'wrong_type: idpAmr'
            when j.spAmr is not null and sp_amr is null then 'wrong_type: spAmr'
            when j.source is not null and (not starts_with(j.source, '{') or not json_valid(j.source))
                then 'wrong_type: source'
            when j.reusesActiveSession is not null and reuses_active_session is null
                then 'wrong_type: reusesActiveSession'
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
    case when j.category is not null or j.logId is not null or j.source is not null
        then 'legacy' else 'current' end as log_variant,
    j.level as level,
    level_number,
    j.code as error_code,
    j.msg as message,
    j.event as event_name,
    j.step as step,
    j.category as legacy_category,
    case
        when j.event is null then 'technical'
        when j.event in ('SP_REQUESTED_FC_TOKEN', 'SP_REQUESTED_FC_USERINFO') then 'back_channel'
        when j.event = 'FC_SSO_INITIATED' then 'sso'
        when j.event in ('SP_REQUESTED_LOGOUT', 'FC_REQUESTED_LOGOUT_FROM_IDP', 'FC_SESSION_TERMINATED')
            then 'logout'
        when j.event like 'FC_%' or j.event like 'IDP_%' then 'authentication'
        else 'other'
    end as event_category,
    coalesce(j.event in ('SP_REQUESTED_FC_TOKEN', 'SP_REQUESTED_FC_USERINFO'), false) as is_back_channel,
    trim(coalesce(j.ip, source_address)) as src_ip,
    source_port as src_port,
    coalesce(j.forwardedFor, source_original::varchar) as forwarded_for,
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
    case when j.idpLoginHint like '%@%' then email_pseudonym(k.ipad, k.opad, j.idpLoginHint)
         else pseudonym(k.ipad, k.opad, j.idpLoginHint) end as login_hint_ref,
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
    coalesce(j.interactionAcr, j.idpAcr) as acr,
    coalesce(coalesce(j.interactionAcr, j.idpAcr) in ('eidas2', 'eidas3')
        or coalesce(j.interactionAcr, j.idpAcr) like '%-mfa'
        or list_has_any(list_concat(coalesce(idp_amr, []), coalesce(sp_amr, [])), ['mfa', 'totp', 'otp', 'pop']), false)
        as is_mfa,
    reuses_active_session,
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
