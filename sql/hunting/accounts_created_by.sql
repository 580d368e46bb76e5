-- Accounts an account created (or invited), and what each of them did afterwards.
-- The Missions Locales pattern: an account manager (RGC) creates accounts that then pull
-- structure-wide lists and records; compare each new account's first network with the
-- creator's network at creation time.
-- @param user_id  the creating account (actor_user_id)
with created as (
    select * from account_creations where creator_user_id = $user_id
),
later as (
    select user_id,
        min(event_time) as first_seen,
        arg_min(src_ip, event_time) as first_ip,
        arg_min(net, event_time) as first_net,
        count(*) filter (where is_read) as reads,
        count(distinct beneficiary_ref) filter (where is_read) as people_read,
        count(*) filter (where is_structure_list) as structure_lists,
        count(distinct event_date) as active_days
    from app_activity
    where user_id in (select user_id from created)
    group by user_id
)
select c.user_id as created_account, c.created_at, c.target_roles, c.creator_ip, c.creator_net,
       l.first_seen, l.first_ip, l.first_net, l.first_net = c.creator_net as same_network_as_creator,
       coalesce(l.reads, 0) as reads, coalesce(l.people_read, 0) as people_read,
       coalesce(l.structure_lists, 0) as structure_lists, coalesce(l.active_days, 0) as active_days,
       c.source_file, c.source_line
from created c
left join later l using (user_id)
order by c.created_at
