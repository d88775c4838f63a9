-- Contributing factors: values of service, code and server (error log, error/fatal/warn records naming the
-- room or no room) and of edge, region and platform (glitch reports in the room) that are over-represented in
-- the degraded window [$degraded_at, $window_end) compared with the baseline before it [$baseline_start,
-- $degraded_at). Errors may lead the audio failure: for error-log values the window opens
-- $factor_lead_minutes before $degraded_at, so a service whose errors began just before onset is in the
-- window, not in its own baseline. lift = window share / baseline share. A value with no baseline records while its dimension
-- had some is `new_in_window` (lift null: no ratio is honest there); a dimension with no baseline records at
-- all cannot be compared and is left out. Kept: at least $min_records window records, and new or lift of at
-- least $min_lift. New values first (most records first), then by lift.
-- params: $space_id, $baseline_start, $degraded_at, $factor_lead_minutes, $window_end, $min_records, $min_lift
-- returns: source, dimension, value, window_records, baseline_records, window_share, baseline_share, lift,
--          new_in_window
-- Records are counted per combination of values first; unpivoting those counts (not every record) is cheaper.
with errors as (
    select
        service, code, server,
        ts >= $degraded_at - to_minutes(cast($factor_lead_minutes as bigint)) as in_window,
        count(*) as n
    from error_events
    where level in ('warn', 'error', 'fatal') and (space_id is null or space_id = $space_id)
      and ts >= $baseline_start and ts < $window_end
    group by all
),
glitches as (
    select edge, region, platform, ts >= $degraded_at as in_window, count(*) as n
    from glitch_events
    where space_id = $space_id and ts >= $baseline_start and ts < $window_end
    group by all
),
tagged as (
    select 'errors' as source, dimension, value, in_window, n
    from (unpivot errors on service, code, server into name dimension value value)
    union all
    select 'glitches', dimension, value, in_window, n
    from (unpivot glitches on edge, region, platform into name dimension value value)
),
counts as (
    select source, dimension, value,
           cast(coalesce(sum(n) filter (where in_window), 0) as bigint) as window_records,
           cast(coalesce(sum(n) filter (where not in_window), 0) as bigint) as baseline_records
    from tagged
    group by all
),
totals as (
    select source, dimension, sum(window_records) as window_total, sum(baseline_records) as baseline_total
    from counts
    group by all
),
scored as (
    select
        c.source, c.dimension, c.value, c.window_records, c.baseline_records,
        round(c.window_records / t.window_total, 4) as window_share,
        round(c.baseline_records / t.baseline_total, 4) as baseline_share,
        round((c.window_records / t.window_total) / nullif(c.baseline_records / t.baseline_total, 0), 2) as lift,
        c.baseline_records = 0 as new_in_window
    from counts as c
    join totals as t using (source, dimension)
    where t.window_total > 0 and t.baseline_total > 0
),
final as (
    select * from scored
    where window_records >= $min_records and (new_in_window or lift >= $min_lift)
)
select * from final
order by new_in_window desc, case when new_in_window then window_records end desc, lift desc, source, dimension, value
