-- Contributing factors: for each value of service, code and server (error log, error/fatal/warn records
-- naming the room or no room) and of edge, region and platform (glitch reports in the room), its share of
-- records in the degraded window [$degraded_at, $window_end) divided by its share in the baseline before it
-- [$baseline_start, $degraded_at). One pseudo-record is added to each value's baseline count (and to the
-- total per value seen) so values new in the window do not divide by zero. Ranked by lift.
-- params: $space_id, $baseline_start, $degraded_at, $window_end
-- returns: source, dimension, value, window_records, baseline_records, window_share, baseline_share, lift
with errors as (
    select ts, service, code, server from error_events
    where level in ('warn', 'error', 'fatal') and (space_id is null or space_id = $space_id)
      and ts >= $baseline_start and ts < $window_end
),
glitches as (
    select ts, edge, region, platform from glitch_events
    where space_id = $space_id and ts >= $baseline_start and ts < $window_end
),
tagged as (
    select 'errors' as source, dimension, value, ts >= $degraded_at as in_window
    from (unpivot errors on service, code, server into name dimension value value)
    union all
    select 'glitches', dimension, value, ts >= $degraded_at
    from (unpivot glitches on edge, region, platform into name dimension value value)
),
counts as (
    select source, dimension, value,
           count(*) filter (where in_window) as window_records,
           count(*) filter (where not in_window) as baseline_records
    from tagged
    group by all
),
totals as (
    select source, dimension, sum(window_records) as window_total, sum(baseline_records) as baseline_total,
           count(*) as values_seen
    from counts
    group by all
),
final as (
    select
        c.source, c.dimension, c.value, c.window_records, c.baseline_records,
        round(c.window_records / nullif(t.window_total, 0), 4) as window_share,
        round(c.baseline_records / nullif(t.baseline_total, 0), 4) as baseline_share,
        round((c.window_records / nullif(t.window_total, 0))
              / ((c.baseline_records + 1) / (t.baseline_total + t.values_seen)), 2) as lift
    from counts as c
    join totals as t using (source, dimension)
    where c.window_records > 0
)
select * from final order by lift desc nulls last, window_records desc, source, dimension, value
