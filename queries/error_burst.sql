-- Error bursts over the whole error log: runs of at least $sustain_minutes consecutive minutes with at least
-- max($factor x baseline, $min_errors) error- and fatal-level records each. baseline: error-level records per
-- minute over the log's first $baseline_minutes minutes (any level opens the log). The biggest burst first.
-- params: $factor, $min_errors, $baseline_minutes, $sustain_minutes
-- returns: start, end, minutes, errors, peak_per_minute, baseline_per_minute, threshold
with log_start as (select min(ts) as opened from error_events),
per_minute as (
    select time_bucket(interval 1 minute, ts) as minute, count(*) as errors
    from error_events
    where level in ('error', 'fatal')
    group by all
),
baseline as (
    select coalesce(sum(p.errors), 0) / cast($baseline_minutes as double) as per_minute
    from per_minute as p, log_start as l
    where p.minute < time_bucket(interval 1 minute, l.opened) + to_minutes(cast($baseline_minutes as bigint))
),
hot as (
    select p.minute, p.errors, b.per_minute as baseline_per_minute,
           greatest($factor * b.per_minute, $min_errors) as threshold,
           p.minute - to_minutes(row_number() over (order by p.minute)) as island
    from per_minute as p, baseline as b
    where p.errors >= greatest($factor * b.per_minute, $min_errors)
),
final as (
    select
        min(minute) as start, max(minute) + interval 1 minute as "end", count(*) as minutes,
        cast(sum(errors) as bigint) as errors, max(errors) as peak_per_minute,
        round(any_value(baseline_per_minute), 2) as baseline_per_minute, any_value(threshold) as threshold
    from hot
    group by island
    having count(*) >= $sustain_minutes
)
select * from final order by errors desc, start
