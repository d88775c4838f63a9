-- The audience migration funnel, in listeners: joined the failed room -> still present when it ended ->
-- joined the replacement within 5, 15 and 60 minutes of that end.
-- params: $from_space, $to_space
-- returns: step, listeners, share_of_start
with origin as (select * from space_bounds where space_id = $from_space),
listeners as (
    select distinct user_id from join_events where space_id = $from_space and event = 'join' and role = 'listener'
),
at_end as (
    select distinct s.user_id from sessions as s semi join listeners as l using (user_id)
    where s.space_id = $from_space and s.closed_by_end
),
arrivals as (
    select j.user_id, min(j.ts) as joined_at
    from join_events as j semi join listeners as l using (user_id)
    where j.space_id = $to_space and j.event = 'join'
    group by j.user_id
),
steps as (
    select 1 as n, 'joined the failed room' as step, (select count(*) from listeners) as listeners
    union all select 2, 'present when it ended', (select count(*) from at_end)
    union all select 3, 'joined the replacement within 5 min',
        (select count(*) from arrivals, origin where joined_at <= ended_at + interval 5 minute)
    union all select 4, 'joined the replacement within 15 min',
        (select count(*) from arrivals, origin where joined_at <= ended_at + interval 15 minute)
    union all select 5, 'joined the replacement within 60 min',
        (select count(*) from arrivals, origin where joined_at <= ended_at + interval 60 minute)
),
final as (
    select n, step, listeners, round(listeners / nullif(first(listeners) over (order by n), 0), 4) as share_of_start
    from steps
)
select step, listeners, share_of_start from final order by n
