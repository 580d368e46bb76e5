-- Were network tags (office, VPN, mobile, SP back-end) known over the 28 days up to $event_date?
select count(*) filter (where src_net_tag is not null) from app_events
where event_date between $event_date - 28 and $event_date
