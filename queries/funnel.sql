-- The audience migration funnel, in listeners of the failed room: joined it -> still present when it ended ->
-- joined the replacement within 5 and 15 minutes of the replacement's start -> joined it at all (the
-- listeners who followed). Only joins at or after the replacement started count, as for follow_rate.
-- params: $from_space, $to_space
-- returns: step, listeners, share_of_start
with target as (select * from space_bounds where space_id = $to_space),
listeners as (
    select distinct user_id from join_events where space_id = $from_space and event = 'join' and role = 'listener'
),
at_end as (
    select distinct s.user_id from sessions as s semi join listeners as l using (user_id)
    where s.space_id = $from_space and s.closed_by_end
),
-- The room as the bound value, not a join to `target`: the scan then skips other rooms' rows and the semi join
-- builds on the listeners rather than on every join of the replacement (0.37 s -> 0.22 s at 1x).
arrivals as (
    select j.user_id, min(j.ts) as joined_at
    from join_events as j semi join listeners as l using (user_id)
    where j.space_id = $to_space and j.event = 'join' and j.ts >= (select started_at from target)
    group by j.user_id
),
steps as (
    select 1 as n, 'joined the failed room' as step, (select count(*) from listeners) as listeners
    union all select 2, 'present when it ended', (select count(*) from at_end)
    union all select 3, 'in the replacement within 5 min of its start',
        (select count(*) from arrivals, target where joined_at <= started_at + interval 5 minute)
    union all select 4, 'in the replacement within 15 min of its start',
        (select count(*) from arrivals, target where joined_at <= started_at + interval 15 minute)
    union all select 5, 'in the replacement at all (followed)', (select count(*) from arrivals)
),
final as (
    select n, step, listeners, round(listeners / nullif(first(listeners) over (order by n), 0), 4) as share_of_start
    from steps
)
select step, listeners, share_of_start from final order by n
