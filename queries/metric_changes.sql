-- Per metric series: when it moved away from its pre-incident baseline, which way and how far, how long before
-- the onset, how it followed the incident room's glitch share, and when an alert at the baseline's extreme would
-- have fired (docs/definitions.md, "Metric change point" and "Alert what-if").
-- Baseline: the series' minutes in [onset - guard - baseline, onset - guard) (without an onset: its first
-- $metric_baseline_minutes minutes); median and MAD of their values. A change: the first run of
-- $metric_sustain_minutes or more consecutive minutes, from the end of the baseline on (with an onset: until
-- $metric_horizon_minutes after it), all above median + h or all below median - h, with
-- h = max($metric_mad_factor x 1.4826 x MAD, $metric_min_relative x |median|). Fewer than
-- $metric_min_baseline_minutes baseline minutes: no judgement. Alert what-if: the baseline's $metric_alert_quantile
-- quantile (its 1 - $metric_alert_quantile quantile for a series that fell) held for $metric_alert_hold_minutes
-- consecutive minutes fires at the run's start + the hold.
-- params: $onset (may be null), $metric_baseline_minutes, $metric_guard_minutes, $metric_mad_factor,
--         $metric_min_relative, $metric_sustain_minutes, $metric_min_baseline_minutes, $metric_alert_quantile,
--         $metric_alert_hold_minutes, $metric_horizon_minutes,
--         $glitch_space (the incident room; null: no correlation)
-- returns: name, labels, type, status, baseline_median, baseline_mad, baseline_minutes, changed_at, direction,
--          size, relative_size, lead_seconds, glitch_correlation, alert_threshold, alert_at
with m as (  -- with an onset, only the minutes from the baseline's start to $metric_horizon_minutes after it
    select name, labels, type, minute, value
    from metric_minutes_of(
        coalesce(
            cast($onset as timestamptz)
                - to_minutes(cast($metric_guard_minutes + $metric_baseline_minutes + 1 as bigint)),
            cast('-infinity' as timestamptz)
        ),
        coalesce(
            cast($onset as timestamptz) + to_minutes(cast($metric_horizon_minutes as bigint)),
            cast('infinity' as timestamptz)
        ),
        cast(null as varchar[])
    )
),
bounds as (
    select
        name, labels, any_value(type) as type,
        coalesce(
            date_trunc('minute', cast($onset as timestamptz)) - to_minutes(cast($metric_guard_minutes as bigint)),
            min(minute) + to_minutes(cast($metric_baseline_minutes as bigint))
        ) as search_from
    from m
    group by name, labels
),
in_baseline as (
    select m.name, m.labels, m.value
    from m
    join bounds as b using (name, labels)
    where m.minute >= b.search_from - to_minutes(cast($metric_baseline_minutes as bigint)) and m.minute < b.search_from
),
centre as (
    select
        name, labels, median(value) as median, count(*) as minutes,
        quantile_cont(value, $metric_alert_quantile) as upper_alert,
        quantile_cont(value, 1 - $metric_alert_quantile) as lower_alert
    from in_baseline
    group by name, labels
),
bands as (
    select
        b.name, b.labels, b.type, b.search_from, c.median, c.minutes, c.upper_alert, c.lower_alert,
        median(abs(i.value - c.median)) as mad
    from bounds as b
    left join centre as c using (name, labels)
    left join in_baseline as i using (name, labels)
    group by all
),
judged as (
    select
        *,
        greatest($metric_mad_factor * 1.4826 * mad, $metric_min_relative * abs(median), 1e-9) as half_width,
        coalesce(minutes, 0) >= $metric_min_baseline_minutes as enough
    from bands
),
flagged as (
    select
        m.name, m.labels, m.minute, m.value,
        case
            when m.value > j.median + j.half_width then 'up'
            when m.value < j.median - j.half_width then 'down'
        end as side
    from m
    join judged as j using (name, labels)
    where j.enough and m.minute >= j.search_from
),
runs as (
    select
        name, labels, side, minute,
        epoch(minute) // 60 - row_number() over (partition by name, labels, side order by minute) as run
    from flagged
    where side is not null
),
sustained as (
    select name, labels, side, min(minute) as start
    from runs
    group by name, labels, side, run
    having count(*) >= $metric_sustain_minutes
),
changes as (
    select name, labels, arg_min(side, start) as direction, min(start) as changed_at
    from sustained
    group by name, labels
),
sizes as (
    select c.name, c.labels, avg(f.value) as level
    from changes as c
    join flagged as f
        on f.name = c.name and f.labels = c.labels
        and f.minute >= c.changed_at
        and f.minute < c.changed_at + to_minutes(cast($metric_sustain_minutes as bigint))
    group by c.name, c.labels
),
alert_hits as (
    select
        f.name, f.labels, f.minute,
        epoch(f.minute) // 60 - row_number() over (partition by f.name, f.labels order by f.minute) as run
    from flagged as f
    join judged as j using (name, labels)
    left join changes as c using (name, labels)
    where case when c.direction = 'down' then f.value < j.lower_alert else f.value > j.upper_alert end
),
alerts as (
    select name, labels, min(start) + to_minutes(cast($metric_alert_hold_minutes as bigint)) as alert_at
    from (
        select name, labels, run, min(minute) as start
        from alert_hits
        group by name, labels, run
        having count(*) >= $metric_alert_hold_minutes
    )
    group by name, labels
),
glitch as (
    select m.name, m.labels, corr(m.value, g.glitch_share) as glitch_correlation
    from m
    join space_minutes as g on g.space_id = $glitch_space and g.minute = m.minute
    group by m.name, m.labels
),
final as (
    select
        j.name,
        j.labels,
        j.type,
        case when not j.enough then 'too little baseline' when c.changed_at is null then 'steady' else 'changed' end
            as status,
        j.median as baseline_median,
        j.mad as baseline_mad,
        coalesce(j.minutes, 0) as baseline_minutes,
        c.changed_at,
        c.direction,
        s.level - j.median as size,
        (s.level - j.median) / nullif(abs(j.median), 0) as relative_size,
        epoch(cast($onset as timestamptz) - c.changed_at) as lead_seconds,
        g.glitch_correlation,
        case when j.enough then case when c.direction = 'down' then j.lower_alert else j.upper_alert end end
            as alert_threshold,
        a.alert_at
    from judged as j
    left join changes as c using (name, labels)
    left join sizes as s using (name, labels)
    left join alerts as a using (name, labels)
    left join glitch as g using (name, labels)
)
select * from final
order by changed_at nulls last, name, labels
