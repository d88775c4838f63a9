-- How long the audience took to follow the event into the replacement room: for each listener of $from_space
-- (joined it as a listener, as in switchover) who joined $to_space after it started, the seconds from leaving
-- $from_space (the end of their last session there, or the room's end) to their first join of $to_space, 0 when
-- they joined it before leaving; then the distribution: followers, median, 90th percentile, fastest, slowest.
-- params: $from_space, $to_space
-- returns: followers, median_s, p90_s, min_s, max_s
with target as (
    select started_at from space_bounds where space_id = $to_space
),
origin as (
    select ended_at from space_bounds where space_id = $from_space
),
origin_listeners as (
    select distinct user_id from join_events where space_id = $from_space and event = 'join' and role = 'listener'
),
left_failed as (
    select l.user_id, coalesce(max(s.left_at), (select ended_at from origin)) as left_at
    from origin_listeners as l
    left join sessions as s on s.user_id = l.user_id and s.space_id = $from_space
    group by l.user_id
),
joined_new as (
    select j.user_id, min(j.ts) as joined_at
    from join_events as j
    cross join target as t
    where j.space_id = $to_space and j.event = 'join' and j.ts >= t.started_at
    group by j.user_id
),
waits as (
    select greatest(0, epoch(n.joined_at) - epoch(l.left_at)) as wait_s
    from left_failed as l
    join joined_new as n using (user_id)
),
final as (
    select
        count(*) as followers,
        round(quantile_cont(wait_s, 0.5), 1) as median_s,
        round(quantile_cont(wait_s, 0.9), 1) as p90_s,
        round(min(wait_s), 1) as min_s,
        round(max(wait_s), 1) as max_s
    from waits
)
select * from final order by followers
