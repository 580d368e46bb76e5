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
