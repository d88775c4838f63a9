-- The value each metric series is judged by, per minute (a view every DuckDB connection creates; a Parquet lake
-- holds no metrics). A gauge: its mean over the minute. A counter: its rate per second over the minute, the
-- increase between consecutive points divided by the time between them, where a drop is a reset (the counter
-- restarted from zero, so the increase is the new value, as Prometheus' rate() counts it). A counter's first
-- point has no rate; a minute without one has no value and no row. `metric_minutes_of(lo, hi, series)` reads only the
-- points in [lo, hi) of the series named in `series` (each `name || chr(31) || labels`; null: all), so a question
-- about a few series, or the hours around an incident, need not window every point.
-- params: none
create or replace temp macro metric_minutes_of(lo, hi, series) as table
with steps as (
    select
        name, labels, type, ts, value,
        lag(value) over w as prev_value,
        lag(ts) over w as prev_ts
    from metric_points
    where ts >= lo and ts < hi
        and (series is null or list_contains(series, name || chr(31) || cast(labels as varchar)))
    window w as (partition by name, labels order by ts)
),
increases as (
    select
        name, labels, type, ts, value,
        case
            when type = 'counter' and prev_ts is not null then
                case when value >= prev_value then value - prev_value else value end
        end as increase,
        epoch(ts - prev_ts) as seconds
    from steps
),
final as (
    select
        name, labels, type, date_trunc('minute', ts) as minute,
        case
            when type = 'counter' then sum(increase) / nullif(sum(seconds) filter (where increase is not null), 0)
            else avg(value)
        end as value,
        count(*) as points
    from increases
    group by name, labels, type, date_trunc('minute', ts)
)
select * from final where value is not null;

create or replace temp view metric_minutes as
select * from metric_minutes_of(cast('-infinity' as timestamptz), cast('infinity' as timestamptz), cast(null as varchar[]));
