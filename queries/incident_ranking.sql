-- Rooms ranked by how badly their audio degraded: users reporting glitches, summed over the minutes of
-- sustained degradation (see degraded_runs). The first row is the incident room; rooms never degraded are absent.
-- params: $factor, $floor_share, $baseline_minutes, $sustain_minutes, $min_reporters
-- returns: space_id, degraded_at, degraded_minutes, degraded_user_minutes, baseline_share, threshold
with runs as (
    select * from degraded_runs($factor, $floor_share, $baseline_minutes, $sustain_minutes, $min_reporters)
),
final as (
    select
        space_id,
        min(run_start) as degraded_at,
        cast(sum(minutes) as bigint) as degraded_minutes,
        cast(sum(degraded_user_minutes) as bigint) as degraded_user_minutes,
        any_value(baseline_share) as baseline_share,
        any_value(threshold) as threshold
    from runs
    group by space_id
)
select * from final order by degraded_user_minutes desc, space_id
