-- Glitch reports per minute and kind in the failed room and its replacement, over every minute each room
-- existed: a kind seen in a room has a row (zero when nobody reported it) for each of the room's minutes, so
-- a chart never draws a slope between two distant reports.
-- params: $from_space, $to_space (may be null)
-- returns: space_id, minute, glitch, reports, users
with rooms as (
    select space_id, minute from space_minutes where space_id = $from_space or space_id = $to_space
),
-- one row per user first: counting users per minute is then a plain count (cheaper than a distinct count)
reporters as (
    select space_id, time_bucket(interval 1 minute, ts) as minute, glitch, user_id, count(*) as reports
    from glitch_events
    where space_id = $from_space or space_id = $to_space
    group by space_id, minute, glitch, user_id
),
reports as (
    select space_id, minute, glitch, cast(sum(reports) as bigint) as reports, count(*) as users
    from reporters
    group by space_id, minute, glitch
),
kinds as (select distinct space_id, glitch from reports),
final as (
    select r.space_id, r.minute, k.glitch, coalesce(p.reports, 0) as reports, coalesce(p.users, 0) as users
    from rooms as r
    join kinds as k using (space_id)
    left join reports as p using (space_id, minute, glitch)
)
select * from final order by minute, space_id, glitch
