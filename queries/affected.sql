-- How many users the degradation touched: present in the room at any moment in [$start, $end), and of
-- those, how many reported a glitch in that window.
-- params: $space_id, $start, $end
-- returns: users_present, users_reporting
with present as (
    select distinct user_id from sessions where space_id = $space_id and joined_at < $end and left_at > $start
),
reporting as (
    select distinct user_id from glitch_events where space_id = $space_id and ts >= $start and ts < $end
)
select
    (select count(*) from present) as users_present,
    (select count(*) from present semi join reporting using (user_id)) as users_reporting
order by users_present
