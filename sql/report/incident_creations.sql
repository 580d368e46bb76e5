-- Creator → created links among an incident's accounts (account_creations view), up to $day.
select creator_user_id, user_id as created_user_id, min(created_at) as created_at
from account_creations
where event_date <= $day::date
  and list_contains($accounts::varchar[], user_id)
group by all
order by creator_user_id, created_at, created_user_id
