-- Keyed pseudonym: HMAC-SHA256(key, value), first 128 bits in hex.
-- ipad/opad are the key XOR 0x36/0x5c padded to SHA-256's 64-byte block (RFC 2104), so
-- HMAC = SHA256(opad || SHA256(ipad || value)); they come from the `_key` table, never
-- from SQL text, so the key cannot leak through a query log or an error message.
create or replace temp macro pseudonym(ipad, opad, value) as
    case when value is not null then left(sha256(opad || unhex(sha256(ipad || encode(value)))), 32) end;

-- An e-mail's pseudonym keeps its domain in clear: `<hmac>@example.fr`.
create or replace temp macro email_pseudonym(ipad, opad, email) as
    case when email is not null then
        pseudonym(ipad, opad, lower(trim(email))) || '@' || lower(split_part(trim(email), '@', -1))
    end;

-- Why an event is quarantined for its time: outside [not_before, not_after], bounds the caller
-- computes once per file (around the day the file is named after, or up to tomorrow for an
-- undated file) so that each row costs two comparisons. NULL when its time is plausible.
create or replace temp macro clock_skew_reason(event_time, file_day, not_before, not_after) as
    case
        when event_time < not_before or event_time > not_after then
            case
                when file_day is not null
                    then 'clock_skew: event at ' || strftime(event_time, '%Y-%m-%dT%H:%M:%SZ')
                         || ' in a file dated ' || file_day::varchar
                else 'clock_skew: event in the future at ' || strftime(event_time, '%Y-%m-%dT%H:%M:%SZ')
            end
    end;
