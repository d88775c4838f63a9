-- Where the degradation sat from $onset to $until: per edge and per region, the listening sessions there, the
-- share of their listener-minutes that were degraded, and the same share over every other edge or region.
-- A failure of distribution shows as one edge (or region) degraded while the others are not.
-- reads: listener_minutes   params: $onset, $until
-- returns: dimension, value, listeners, degraded_share, others_share
with window_minutes as (
    select * from listener_minutes
    where minute >= time_bucket(interval 1 minute, $onset) and minute < $until
),
dims as (
    select 'edge' as dimension, coalesce(edge, '(unknown)') as value, file_id, degraded from window_minutes
    union all
    select 'region', coalesce(region, '(unknown)'), file_id, degraded from window_minutes
),
per_value as (
    select
        dimension, value, count(distinct file_id) as listeners,
        count(*) filter (where degraded) as bad, count(*) as total
    from dims
    group by dimension, value
),
final as (
    select
        dimension, value, listeners,
        round(bad / total, 3) as degraded_share,
        round(
            (sum(bad) over (partition by dimension) - bad)
            / nullif(sum(total) over (partition by dimension) - total, 0), 3
        ) as others_share
    from per_value
)
select * from final
order by dimension, degraded_share desc, value
