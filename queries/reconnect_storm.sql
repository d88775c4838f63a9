-- The reconnect storm in one room, per minute: rejoins (a join while already in), users rejoining, and how
-- many users have rejoined at least 3 times so far.
-- params: $space_id
-- returns: minute, rejoins, rejoining_users, users_with_3_plus_rejoins
with rejoins as (
    select user_id, ts, row_number() over (partition by user_id order by ts) as nth
    from presence_events
    where space_id = $space_id and transition = 'rejoin'
),
per_minute as (
    select
        date_trunc('minute', ts) as minute,
        count(*) as rejoins,
        count(distinct user_id) as rejoining_users,
        count(*) filter (where nth = 3) as reached_3
    from rejoins
    group by all
),
final as (
    select minute, rejoins, rejoining_users,
           cast(sum(reached_3) over (order by minute) as bigint) as users_with_3_plus_rejoins
    from per_minute
)
select * from final order by minute
