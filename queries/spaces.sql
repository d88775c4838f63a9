-- Every room: bounds, host, peak concurrency at event resolution, audience, and its glitch/error load.
-- params: none
-- returns: space_id, host, started_at, ended_at, duration_s, peak_concurrent, peak_at, unique_users,
--          unique_listeners, rejoins, orphan_leaves, glitch_reports, errors
-- Peak concurrency is exact without a running count over every session: the users present when a minute
-- ends are reached, so the peak is at least the highest of them, and a minute can hold more only if those
-- present before it plus its arrivals do. Only the span of such minutes is replayed event by event.
with closed as (
    -- sessions still open at the room's end: they leave at ended_at
    select m.space_id, b.ended_at, cast(sum(m.arrivals - m.departures) as bigint) as n
    from presence_minutes as m
    join space_bounds as b using (space_id)
    group by m.space_id, b.ended_at
),
per_minute as (
    select space_id, minute, sum(arrivals) as arrivals, sum(departures) as departures
    from (
        select space_id, minute, arrivals, departures from presence_minutes
        union all
        select space_id, time_bucket(interval 1 minute, ended_at), 0, n from closed where n > 0
    )
    group by space_id, minute
),
levels as (
    select
        *,
        sum(arrivals - departures) over (partition by space_id order by minute) - (arrivals - departures) as before
    from per_minute
),
reached as (select space_id, max(before + arrivals - departures) as floor from levels group by space_id),
-- The peak is first reached by an arrival, in a minute whose bound reaches the floor.
span as (
    select
        l.space_id,
        min(l.minute) as from_minute,
        max(l.minute) + interval 1 minute as to_minute,
        arg_min(l.before, l.minute) as before
    from levels as l
    join reached as r using (space_id)
    where l.arrivals > 0 and l.before + l.arrivals >= r.floor
    group by l.space_id
),
-- Each session arrives at joined_at and leaves at left_at (its leave, or the room's end if still open then).
deltas as (
    select x.space_id, x.ts, x.delta
    from (
        select space_id, joined_at as ts, 1 as delta from sessions
        union all
        select space_id, left_at, -1 from sessions
    ) as x
    join span as s on s.space_id = x.space_id and x.ts >= s.from_minute and x.ts < s.to_minute
),
-- Leaves apply before joins at equal timestamps, so after all of a timestamp's events is the most present
-- at that moment: one row per (room, timestamp) is enough.
moments as (
    select space_id, ts, sum(delta) as net from deltas group by space_id, ts
),
running as (
    select m.space_id, m.ts, s.before + sum(m.net) over (partition by m.space_id order by m.ts) as present
    from moments as m
    join span as s using (space_id)
),
peaks as (
    select space_id, max(present) as peak_concurrent, arg_min(ts, (-present, ts)) as peak_at
    from running
    group by space_id
),
audience as (
    select space_id, count(*) as unique_users, count(*) filter (where listener) as unique_listeners
    from (
        select space_id, user_id, bool_or(role = 'listener') as listener
        from join_events
        where event = 'join'
        group by space_id, user_id
    )
    group by space_id
),
churn as (
    select
        space_id,
        cast(sum(rejoins) as bigint) as rejoins,
        cast(sum(orphan_leaves) as bigint) as orphan_leaves
    from presence_minutes
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
