-- Error-log records per time bucket, service and level over every room and none, between $start and $end:
-- the error-centred view when no room logs say which room failed. The bucket is a minute, an hour or a day:
-- the shortest that cuts the span into at most 400 buckets (a day beyond 400 days), so months of logs draw
-- bars a reader can see rather than per-minute hairlines.
-- params: $start, $end
-- returns: bucket, bucket_end, bucket_seconds, service, level, records
with size as (
    select
        case
            when epoch($end) - epoch($start) <= 400 * 60 then 60
            when epoch($end) - epoch($start) <= 400 * 3600 then 3600
            else 86400
        end as bucket_seconds
),
counted as (
    select
        case z.bucket_seconds
            when 60 then date_trunc('minute', e.ts)
            when 3600 then date_trunc('hour', e.ts)
            else date_trunc('day', e.ts)
        end as bucket,
        z.bucket_seconds, e.service, e.level, count(*) as records
    from error_events as e
    cross join size as z
    where e.ts >= $start and e.ts < $end
    group by all
),
final as (
    select
        bucket,
        case bucket_seconds
            when 60 then bucket + interval 1 minute
            when 3600 then bucket + interval 1 hour
            else bucket + interval 1 day
        end as bucket_end,
        bucket_seconds, service, level, records
    from counted
)
select * from final
order by bucket, service, level
