-- Parse, validate, normalise and pseudonymise one batch of partner-app audit lines.
-- Input: `lines` (source_line, line without its line end, read_error), `_key` (ipad, opad: the HMAC pads).
-- Parameters: $known (field names of the spec), $file_day (DATE or NULL), $not_before and
-- $not_after (the plausible event times, `clock_skew_reason`).
-- Output: one row per input line; `reject_reason` is NULL for a good row.
with parsed as (
    select
        source_line,
        line,
        read_error,
        try(json_transform(line, '{
            "ts":"VARCHAR","event_id":"VARCHAR","event_type":"VARCHAR","outcome":"VARCHAR",
            "actor_user_id":"VARCHAR","actor_org_siret":"VARCHAR","app_session_id":"VARCHAR",
            "src_ip":"VARCHAR","request_id":"VARCHAR","http_method":"VARCHAR","url_route":"VARCHAR",
            "http_status":"VARCHAR","bytes_out":"VARCHAR","duration_ms":"VARCHAR",
            "actor_pc_sub":"VARCHAR","actor_email":"VARCHAR","actor_org_type":"VARCHAR",
            "actor_roles":"VARCHAR","auth_acr":"VARCHAR","auth_amr":"VARCHAR","auth_time":"VARCHAR",
            "user_agent":"VARCHAR","device_id":"VARCHAR","beneficiary_id":"VARCHAR",
            "beneficiary_count":"VARCHAR","record_type":"VARCHAR","contains_nir":"VARCHAR",
            "in_portfolio":"VARCHAR","search_params":"VARCHAR","export_format":"VARCHAR",
            "rows_exported":"VARCHAR","target_user_id":"VARCHAR","target_email":"VARCHAR",
            "target_roles":"VARCHAR","target_org_siret":"VARCHAR"}')) as j,
        case when j is not null then list_filter(json_keys(line), lambda k: not list_contains($known, k)) end
            as unknown_keys
    from lines
),
typed as (
    select
        *,
        try_cast(j.ts as timestamptz)::timestamp as event_time,
        try_cast(j.http_status as integer) as http_status,
        try_cast(j.bytes_out as bigint) as bytes_out,
        try_cast(j.duration_ms as integer) as duration_ms,
        try_cast(j.beneficiary_count as integer) as beneficiary_count,
        try_cast(j.rows_exported as integer) as rows_exported,
        try_cast(j.contains_nir as boolean) as contains_nir,
        try_cast(j.in_portfolio as boolean) as in_portfolio,
        case when j.actor_roles like '[%' then try(from_json(j.actor_roles, '["VARCHAR"]')) end as actor_roles,
        case when j.auth_amr like '[%' then try(from_json(j.auth_amr, '["VARCHAR"]')) end as auth_amr,
        case when j.target_roles like '[%' then try(from_json(j.target_roles, '["VARCHAR"]')) end as target_roles,
        coalesce(
            try_cast(j.auth_time as timestamptz)::timestamp,
            try(to_timestamp(try_cast(j.auth_time as double))::timestamp)
        ) as auth_time
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
            when j.ts is null then 'missing_field: ts'
            when j.event_id is null then 'missing_field: event_id'
            when j.event_type is null then 'missing_field: event_type'
            when j.outcome is null then 'missing_field: outcome'
            when j.actor_user_id is null then 'missing_field: actor_user_id'
            when j.actor_org_siret is null then 'missing_field: actor_org_siret'
            when j.app_session_id is null then 'missing_field: app_session_id'
            when j.src_ip is null then 'missing_field: src_ip'
            when event_time is null then 'bad_time: ts is not an RFC 3339 timestamp: ' || left(j.ts, 40)
            when j.outcome not in ('success', 'failure', 'denied') then 'bad_value: outcome ' || left(j.outcome, 40)
            when not regexp_full_match(j.actor_org_siret, '[0-9]{14}') then 'bad_value: actor_org_siret is not 14 digits'
            when j.http_status is not null and http_status is null then 'wrong_type: http_status'
            when j.bytes_out is not null and bytes_out is null then 'wrong_type: bytes_out'
            when j.duration_ms is not null and duration_ms is null then 'wrong_type: duration_ms'
            when j.beneficiary_count is not null and beneficiary_count is null then 'wrong_type: beneficiary_count'
            when j.rows_exported is not null and rows_exported is null then 'wrong_type: rows_exported'
            when j.contains_nir is not null and contains_nir is null then 'wrong_type: contains_nir'
            when j.in_portfolio is not null and in_portfolio is null then 'wrong_type: in_portfolio'
            when j.actor_roles is not null and actor_roles is null then 'wrong_type: actor_roles'
            when j.auth_amr is not null and auth_amr is null then 'wrong_type: auth_amr'
            when j.target_roles is not null and target_roles is null then 'wrong_type: target_roles'
            when j.auth_time is not null and auth_time is null then 'bad_time: auth_time'
            when j.search_params is not null and (not starts_with(j.search_params, '{')
                or not json_valid(j.search_params))
                then 'wrong_type: search_params'
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
    j.event_id as event_uid,
    j.event_id as event_id,
    j.event_type as event_type,
    case
        when j.event_type in ('LOGIN_REDIRECT_TO_PROCONNECT', 'LOGIN_CALLBACK_SUCCESS', 'LOGIN_CALLBACK_FAILURE',
            'SESSION_CREATED', 'SESSION_EXPIRED', 'LOGOUT', 'STEP_UP_REQUIRED') then 'auth'
        when j.event_type in ('BENEFICIARY_RECORD_VIEW', 'BENEFICIARY_CONTACT_VIEW', 'BENEFICIARY_NIR_REVEAL',
            'TRAINING_SESSION_ROSTER_VIEW', 'DOCUMENT_DOWNLOAD') then 'record_read'
        when j.event_type in ('BENEFICIARY_SEARCH', 'PORTFOLIO_LIST_VIEW', 'STRUCTURE_BENEFICIARY_LIST') then 'search'
        when j.event_type in ('EXPORT_REQUESTED', 'EXPORT_DOWNLOADED') then 'export'
        when j.event_type in ('ATTENDANCE_UPDATE', 'QUOTE_CREATE', 'QUOTE_SUBMIT', 'TRAINING_ENTRY_DECLARED') then 'update'
        when j.event_type in ('USER_CREATE', 'USER_INVITE', 'USER_ROLE_GRANT', 'USER_ROLE_REVOKE',
            'USER_SCOPE_CHANGE', 'USER_DISABLE', 'USER_ENABLE') then 'admin'
        when j.event_type in ('ACCESS_DENIED_OUT_OF_SCOPE', 'RATE_LIMITED', 'CSRF_FAILURE') then 'security'
        else 'other'
    end as event_category,
    j.outcome as outcome,
    j.actor_user_id as user_id,
    j.actor_pc_sub as user_sub,
    email_pseudonym(k.ipad, k.opad, j.actor_email) as user_email_ref,
    lower(split_part(trim(j.actor_email), '@', -1)) as user_email_domain,
    j.actor_org_siret as org_siret,
    j.actor_org_type as org_type,
    actor_roles as user_roles,
    j.app_session_id as session_id,
    trim(j.src_ip) as src_ip,
    j.user_agent as user_agent,
    j.device_id as device_id,
    j.request_id as request_id,
    j.http_method as http_method,
    j.url_route as url_route,
    http_status,
    bytes_out,
    duration_ms,
    j.auth_acr as auth_acr,
    auth_amr,
    auth_time,
    coalesce(j.auth_acr in ('eidas2', 'eidas3') or j.auth_acr like '%-mfa'
        or list_has_any(coalesce(auth_amr, []), ['mfa', 'totp', 'otp', 'pop']), false) as is_mfa,
    pseudonym(k.ipad, k.opad, upper(trim(j.beneficiary_id))) as beneficiary_ref,
    beneficiary_count,
    j.record_type as record_type,
    contains_nir,
    in_portfolio,
    case when reject_reason is null and j.search_params is not null then
        to_json(map_from_entries(list_transform(
            map_entries(json_transform(j.search_params, '"MAP(VARCHAR, JSON)"')),
            lambda e: {'key': e.key, 'value': pseudonym(k.ipad, k.opad, e.value->>'$')}
        )))
    end as search_params_ref,
    j.export_format as export_format,
    rows_exported,
    j.target_user_id as target_user_id,
    email_pseudonym(k.ipad, k.opad, j.target_email) as target_email_ref,
    target_roles,
    j.target_org_siret as target_org_siret,
    case when len(unknown_keys) > 0 then
        to_json(map_from_entries(list_filter(
            map_entries(json_transform(line, '"MAP(VARCHAR, JSON)"')),
            lambda e: not list_contains($known, e.key))))
    end as unmapped
from checked, _key k
