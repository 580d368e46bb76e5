-- app_actions: app_events with what each action is (a read, a list, how many beneficiary
-- records it exposed: a read is one, a list is its row count), the network key and the
-- service-account flag. The day's working set of the rules (sql/detect/day_activity.sql)
-- reads it for one day; app_activity adds the per-row local time and user-agent family.
create or replace view app_actions as
select
    e.*,
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

-- app_events with the derived columns rules and analysts use: local time, off-hours, UA
-- family and key, network key, and the records each action exposed.
create or replace view app_activity as
select
    a.*,
    to_local_time(a.event_time) as local_time,
    is_off_hours(a.event_time) as off_hours,
    ua_family(a.user_agent) as ua_family,
    ua_key(a.user_agent) as ua_key
from app_actions a;
