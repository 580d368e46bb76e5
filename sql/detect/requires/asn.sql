-- Is there app data with an AS number on $event_date? (rules that compare networks by ASN)
select count(*) filter (where src_asn is not null) from app_events where event_date = $event_date
