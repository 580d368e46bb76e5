-- app_events with the derived columns rules need: local time, off-hours, UA family, network key,
-- and how many beneficiary records each action exposed (a read is one, a list is its row count).
create or replace view app_activity as
select
    e.*,
    paris_time(e.event_time) as local_time,
    is_off_hours(e.event_time) as off_hours,
    ua_family(e.user_agent) as ua_family,
    ua_key(e.user_agent) as ua_key,
    net_key(e.src_asn, e.src_prefix, e.src_ip) as net,
    coalesce(list_contains(e.user_roles, 'SERVICE'), false) as is_service,
    e.event_category = 'record_read' and e.outcome = 'success' as is_read,
    case
        when e.outcome <> 'success' then 0
        when e.event_category = 'record_read' then 1
        when e.event_category = 'search' then coalesce(e.beneficiary_count, 0)
        when e.event_category = 'export' then coalesce(e.rows_exported, 0)
        else 0
    end as records_touched,
    e.event_type = 'STRUCTURE_BENEFICIARY_LIST' and e.outcome = 'success' as is_structure_list
from app_events e;
