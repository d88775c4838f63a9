-- The incident's phases in order: healthy, degraded, down (nearly silent, or ended with nowhere to go)
-- in the failed room; recovering, recovered in the replacement. Zero-length phases are left out.
-- down starts at the first minute from degraded_at whose glitch reports are mostly `silence`, else at the end.
-- resolved: the first run of $sustain_minutes minutes in the replacement below the incident's threshold.
-- params: $from_space, $to_space (may be null), $degraded_at, $threshold, $sustain_minutes
-- returns: phase, space_id, start, end
with origin as (select * from space_bounds where space_id = $from_space),
target as (select * from space_bounds where space_id = $to_space),
silent as (
    select min(minute) as silent_at
    from space_minutes
    where space_id = $from_space and minute >= $degraded_at and glitch_reports > 0
      and silence_reports * 2 >= glitch_reports
),
healthy_minutes as (
    select minute, minute - to_minutes(row_number() over (order by minute)) as island
    from space_minutes
    where space_id = $to_space and present_users > 0 and glitch_share < $threshold
),
resolved as (
    select greatest(min(minute), (select started_at from target)) as resolved_at
    from (select island, min(minute) as minute from healthy_minutes group by island
          having count(*) >= $sustain_minutes)
),
bounds as (
    select
        o.started_at as from_start,
        cast($degraded_at as timestamptz) as degraded_at,
        least(coalesce(s.silent_at, o.ended_at), o.ended_at) as down_at,
        o.ended_at as from_end,
        (select started_at from target) as to_start,
        (select least(resolved_at, ended_at) from resolved, target) as resolved_at,
        (select ended_at from target) as to_end
    from origin as o, silent as s
),
phases as (
    select 'healthy' as phase, $from_space as space_id, from_start as start, degraded_at as "end" from bounds
    union all
    select 'degraded', $from_space, degraded_at, down_at from bounds
    union all
    select 'down', $from_space, down_at, greatest(from_end, coalesce(to_start, from_end)) from bounds
    union all
    select 'recovering', $to_space, to_start, coalesce(resolved_at, to_end) from bounds
    union all
    select 'recovered', $to_space, resolved_at, to_end from bounds
),
final as (
    select * from phases where start is not null and "end" > start
)
select * from final order by start, phase
