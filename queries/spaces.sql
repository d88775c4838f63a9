-- Every room: bounds, host, peak concurrency at event resolution, audience, and its glitch/error load.
-- params: none
-- returns: space_id, host, started_at, ended_at, duration_s, peak_concurrent, peak_at, unique_users,
--          unique_listeners, rejoins, orphan_leaves, glitch_reports, errors
with deltas as (
    select space_id, joined_at as ts, 1 as delta from sessions
    union all
    select space_id, left_at as ts, -1 as delta from sessions
),
-- Leaves apply before joins at equal timestamps, so after all of a timestamp's events is the most present
-- at that moment: one row per (room, timestamp) is enough.
moments as (
    select space_id, ts, sum(delta) as net from deltas group by space_id, ts
),
running as (
    select space_id, ts, sum(net) over (partition by space_id order by ts) as present from moments
),
peaks as (
    select space_id, max(present) as peak_concurrent, arg_min(ts, (-present, ts)) as peak_at
    from running
    group by space_id
),
audience as (
    select
        space_id,
        count(distinct user_id) filter (where event = 'join') as unique_users,
        count(distinct user_id) filter (where event = 'join' and role = 'listener') as unique_listeners
    from join_events
    group by space_id
),
churn as (
    select
        space_id,
        count(*) filter (where transition = 'rejoin') as rejoins,
        count(*) filter (where transition = 'orphan_leave') as orphan_leaves
    from presence_events
    group by space_id
),
glitches as (select space_id, count(*) as glitch_reports from glitch_events group by space_id),
errors as (
    select space_id, count(*) as errors from error_events where level in ('error', 'fatal') group by space_id
),
final as (
    select
        b.space_id, b.host, b.started_at, b.ended_at,
        epoch(b.ended_at) - epoch(b.started_at) as duration_s,
        cast(coalesce(p.peak_concurrent, 0) as bigint) as peak_concurrent, p.peak_at,
        coalesce(a.unique_users, 0) as unique_users,
        coalesce(a.unique_listeners, 0) as unique_listeners,
        coalesce(c.rejoins, 0) as rejoins,
        coalesce(c.orphan_leaves, 0) as orphan_leaves,
        coalesce(g.glitch_reports, 0) as glitch_reports,
        coalesce(e.errors, 0) as errors
    from space_bounds as b
    left join peaks as p using (space_id)
    left join audience as a using (space_id)
    left join churn as c using (space_id)
    left join glitches as g using (space_id)
    left join errors as e using (space_id)
)
select * from final order by started_at, space_id
