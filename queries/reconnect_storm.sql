-- The reconnect storm in one room, for every minute the room existed: rejoins (a join while already in),
-- users rejoining, and how many users have rejoined at least 3 times so far.
-- params: $space_id
-- returns: minute, rejoins, rejoining_users, users_with_3_plus_rejoins
with rejoins as (
    select user_id, ts, row_number() over (partition by user_id order by ts) as nth
    from presence_events
    where space_id = $space_id and transition = 'rejoin'
),
per_minute as (
    select
        time_bucket(interval 1 minute, ts) as minute,
        count(*) as rejoins,
        count(distinct user_id) as rejoining_users,
        count(*) filter (where nth = 3) as reached_3
    from rejoins
    group by all
),
grid as (select minute from space_minutes where space_id = $space_id),
final as (
    select g.minute,
           coalesce(p.rejoins, 0) as rejoins,
           coalesce(p.rejoining_users, 0) as rejoining_users,
           cast(sum(coalesce(p.reached_3, 0)) over (order by g.minute) as bigint) as users_with_3_plus_rejoins
    from grid as g
    left join per_minute as p using (minute)
)
select * from final order by minute
