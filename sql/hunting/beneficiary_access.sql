-- Who read one person's file, when, from where (by the person's pseudonym).
-- For a data-subject request or to check whether one person was part of an extraction; get
-- the pseudonym from the system that holds the key, never put a clear id in a query.
-- @param beneficiary_ref  the person's pseudonym (32 hex characters)
select event_time, user_id as account, org_siret, event_type, record_type, contains_nir, in_portfolio,
       session_id, src_ip, src_as_org, src_country, source_file, source_line
from app_activity
where beneficiary_ref = $beneficiary_ref
order by event_time
