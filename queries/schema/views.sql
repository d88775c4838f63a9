-- Definitions every question shares: room bounds, presence sessions, per-minute room health, degradation.
-- Temporary views and macros, recreated on every connection (read-only ones included); they hold no data.

-- A room's bounds and host. started_at: its `start` event, else its first event. ended_at: its `end` event,
-- else its last event. host: who issued `start`, else the first user with role host.
create or replace temp view space_bounds as
select
    space_id,
    coalesce(min(ts) filter (where event = 'start'), min(ts)) as started_at,
    coalesce(min(ts) filter (where event = 'end'), max(ts)) as ended_at,
    coalesce(first(user_id order by ts, user_id) filter (where event = 'start'),
             first(user_id order by ts, user_id) filter (where role = 'host')) as host
from join_events
group by space_id;

-- Each join/leave classified by the user's state before it. A user is in from a join until the next leave,
-- so the state after an event is simply its own type: a join while in is a rejoin (a reconnect without a
-- leave), a leave while out is an orphan. At equal timestamps leaves apply before joins.
-- The same ordered pass also notes the user's next leave and next join in the room: for a session start, its
-- next leave ends the session; for a session end, the next join starts the user's next session (the first
-- leave after a join always ends a session, the first join after a leave always starts one). So `sessions`
-- and the per-minute presence need no second pass over the events.
create or replace temp view presence_events as
with ordered as (
    select
        space_id, user_id, ts, event, role,
        lag(event) over by_user as previous,
        lead(case when event = 'leave' then ts end ignore nulls) over by_user as next_leave,
        lead(case when event = 'join' then ts end ignore nulls) over by_user as next_join
    from join_events
    where event in ('join', 'leave')
    window by_user as (partition by space_id, user_id order by ts, event = 'join')
)
select
    *,
    case
        when event = 'join' and previous is distinct from 'join' then 'session_start'
        when event = 'join' then 'rejoin'
        when previous = 'join' then 'session_end'
        else 'orphan_leave'
    end as transition
from ordered;

-- Presence intervals [joined_at, left_at): from a session start to the next leave; everyone leaves at the
-- room's ended_at. Sessions that would start at or after ended_at are not presence.
create or replace temp view sessions as
select
    p.space_id, p.user_id, p.role,
    p.ts as joined_at,
    least(coalesce(p.next_leave, b.ended_at), b.ended_at) as left_at,
    p.next_leave is null or p.next_leave >= b.ended_at as closed_by_end
from presence_events as p
join space_bounds as b using (space_id)
where p.transition = 'session_start' and least(coalesce(p.next_leave, b.ended_at), b.ended_at) > p.ts;

-- Per room and minute (UTC) in which a join or leave happened: the traffic, and how presence changed in the
-- minute. Only sessions (starting before the room's end) count: `arrivals` started in the minute,
-- `departures` ended in it by a leave before the room's end (`departures_on_the_minute` of them at its first
-- instant, so the user is absent from the whole minute), and `returns` ended in it and the same user's next
-- session started later in the same minute (one user in that minute, not two). Sessions still open at the
-- room's end (arrivals less departures, over the room) leave at ended_at.
create or replace temp view presence_minutes as
with minutes as (
    select p.*, time_bucket(interval 1 minute, p.ts) as minute, p.ts < b.ended_at as before_end, b.ended_at
    from presence_events as p
    join space_bounds as b using (space_id)
)
select
    space_id, minute,
    count(*) filter (where event = 'join') as joins,
    count(*) filter (where event = 'leave') as leaves,
    count(*) filter (where transition = 'rejoin') as rejoins,
    count(*) filter (where transition = 'orphan_leave') as orphan_leaves,
    count(*) filter (where transition = 'session_start' and before_end) as arrivals,
    count(*) filter (where transition = 'session_end' and before_end) as departures,
    count(*) filter (where transition = 'session_end' and before_end and ts = minute) as departures_on_the_minute,
    count(*) filter (
        where transition = 'session_end' and ts > minute
          and next_join < ended_at and next_join < minute + interval 1 minute
    ) as returns
from minutes
group by space_id, minute;

-- Per room and minute (UTC): users present at any moment of the minute, join/leave traffic, glitch reports
-- and error-level records naming the room. The minutes are bounded by the data, not by the room's span: a
-- room has a row for each minute from its started_at's minute to its ended_at's minute in which anything of
-- it happened (a join or leave, a glitch, an error, a departure, its start or end), and for the quiet minutes
-- between two such minutes at most 60 minutes apart. So a stray line dated 1970 costs one row, not 29 million;
-- a silence longer than an hour is a gap. A room whose rows would still exceed 1,000,000 minutes (about two
-- years) is refused by name.
create or replace temp view space_minutes as
with bounds as (
    select
        space_id,
        time_bucket(interval 1 minute, started_at) as first_minute,
        time_bucket(interval 1 minute, ended_at) as last_minute
    from space_bounds
),
-- A session counts in the minutes from its joined_at's minute through the minute of its last instant: it
-- leaves the count at the first minute boundary at or after left_at (a leave at 10:04:00 sharp is absent from
-- 10:04, one at 10:04:30 from 10:05). Sessions still open at the room's end leave at ended_at.
arrivals as (select space_id, minute, arrivals as n from presence_minutes where arrivals > 0),
departures as (
    select space_id, minute + interval 1 minute as minute, departures - departures_on_the_minute as n
    from presence_minutes
    where departures > departures_on_the_minute
    union all
    select space_id, minute, departures_on_the_minute from presence_minutes where departures_on_the_minute > 0
    union all
    select space_id, time_bucket(interval 1 minute, b.ended_at - interval 1 microsecond) + interval 1 minute, o.n
    from (
        select space_id, cast(sum(arrivals - departures) as bigint) as n from presence_minutes group by space_id
    ) as o
    join space_bounds as b using (space_id)
    where o.n > 0
),
-- A user whose consecutive sessions meet in one minute is one user in that minute, not two.
met as (select space_id, minute, returns as n from presence_minutes where returns > 0),
-- Distinct users reporting per minute: one row per user and minute first (cheaper than a distinct count).
glitch_reporters as (
    select
        space_id, time_bucket(interval 1 minute, ts) as minute, user_id,
        count(*) as reports,
        count(*) filter (where glitch = 'screech') as screech_reports,
        count(*) filter (where glitch = 'silence') as silence_reports
    from glitch_events
    group by space_id, minute, user_id
),
glitches as (
    select
        space_id, minute,
        cast(sum(reports) as bigint) as glitch_reports,
        count(*) as glitch_users,
        cast(sum(screech_reports) as bigint) as screech_reports,
        cast(sum(silence_reports) as bigint) as silence_reports
    from glitch_reporters
    group by space_id, minute
),
errors as (
    select space_id, time_bucket(interval 1 minute, ts) as minute, count(*) as errors
    from error_events
    where level in ('error', 'fatal') and space_id is not null
    group by all
),
-- The minutes in which something happened, within the room's bounds.
active as (
    select space_id, minute
    from (
        select space_id, minute from presence_minutes
        union select space_id, minute from glitches
        union select space_id, minute from errors
        union select space_id, minute from departures
        union select space_id, first_minute from bounds
        union select space_id, last_minute from bounds
    )
    join bounds using (space_id)
    where minute between first_minute and last_minute
),
-- Each active minute runs on through the quiet minutes before the next one when that is at most an hour away.
spans as (
    select
        space_id, minute,
        case
            when next_minute - minute <= interval 60 minute then next_minute - interval 1 minute
            else minute
        end as through
    from (select *, lead(minute) over (partition by space_id order by minute) as next_minute from active)
),
sized as (
    select *, sum(datediff('minute', minute, through) + 1) over (partition by space_id) as room_minutes
    from spans
),
grid as (
    select
        space_id,
        unnest(generate_series(
            minute,
            case
                when room_minutes <= 1000000 then through
                else error('postmortem: room ' || space_id || ' would need ' || room_minutes
                           || ' per-minute rows, more than the 1,000,000 allowed: its events are spread over'
                           || ' years; check their timestamps (`postmortem query spaces`)')
            end,
            interval 1 minute
        )) as minute
    from sized
),
-- Users present: the running sum of arrivals less departures, read as of each minute (an ASOF join, so it
-- is right whatever minutes the grid skips), less the users whose sessions meet within the minute.
changes as (
    select space_id, minute, sum(n) as n
    from (
        select space_id, minute, n from arrivals
        union all
        select space_id, minute, -n from departures
    )
    group by all
),
running as (
    select space_id, minute, sum(n) over (partition by space_id order by minute) as present
    from changes
),
present as (
    select g.space_id, g.minute, coalesce(r.present, 0) as present
    from grid as g
    asof left join running as r on g.space_id = r.space_id and g.minute >= r.minute
),
final as (
    select
        g.space_id, g.minute,
        cast(g.present - coalesce(m.n, 0) as bigint) as present_users,
        coalesce(t.joins, 0) as joins,
        coalesce(t.leaves, 0) as leaves,
        coalesce(t.rejoins, 0) as rejoins,
        coalesce(t.orphan_leaves, 0) as orphan_leaves,
        coalesce(gl.glitch_reports, 0) as glitch_reports,
        coalesce(gl.glitch_users, 0) as glitch_users,
        coalesce(gl.screech_reports, 0) as screech_reports,
        coalesce(gl.silence_reports, 0) as silence_reports,
        coalesce(e.errors, 0) as errors,
        round(coalesce(gl.glitch_users, 0) / nullif(present_users, 0), 4) as glitch_share
    from present as g
    left join met as m using (space_id, minute)
    left join presence_minutes as t using (space_id, minute)
    left join glitches as gl using (space_id, minute)
    left join errors as e using (space_id, minute)
)
select * from final;

-- Sustained degradation per room: minutes whose glitch share is at least `factor` times the room's baseline
-- (the median share over its first `baseline_minutes` minutes) and at least `floor_share`, with at least
-- `min_reporters` users reporting (so a 20-person room is not "degraded" by one report), in runs of at
-- least `sustain_minutes` consecutive minutes. One row per run.
create or replace temp macro degraded_runs(factor, floor_share, baseline_minutes, sustain_minutes, min_reporters) as table
with baseline as (
    select m.space_id, coalesce(median(m.glitch_share), 0) as baseline_share
    from space_minutes as m
    join space_bounds as b using (space_id)
    where m.minute < time_bucket(interval 1 minute, b.started_at) + to_minutes(cast(baseline_minutes as bigint))
    group by all
),
flagged as (
    select
        m.space_id, m.minute, m.glitch_users, b.baseline_share,
        greatest(factor * b.baseline_share, floor_share) as threshold,
        m.glitch_share >= greatest(factor * b.baseline_share, floor_share)
            and m.glitch_users >= min_reporters as degraded
    from space_minutes as m
    join baseline as b using (space_id)
),
islands as (
    select *, minute - to_minutes(row_number() over (partition by space_id, degraded order by minute)) as island
    from flagged
)
select
    space_id, any_value(baseline_share) as baseline_share, any_value(threshold) as threshold,
    min(minute) as run_start, max(minute) + interval 1 minute as run_end, count(*) as minutes,
    sum(glitch_users) as degraded_user_minutes
from islands
where degraded
group by space_id, island
having count(*) >= sustain_minutes;
