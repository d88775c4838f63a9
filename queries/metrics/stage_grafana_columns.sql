-- A Grafana panel's CSV export with series as columns (`Time,series A,series B`: Grafana 7 and later, and
-- "series as columns" before) into metric_staged: one row per cell of a series column, ord being the cell's line
-- number (the header is line 1). An empty or `null` cell is a gap, rejected as "no value". A series header written as
-- `name{label="value"}` gives its labels.
-- params: $path, $compression (gzip|zstd|none), $tz (zone of times written without an offset)
insert into metric_staged
with rows_ as (
    select row_number() over () + 1 as line_no, *
    from read_csv($path, header = true, all_varchar = true, compression = $compression)
),
picked as (
    select line_no, columns(lambda c: lower(c) = 'time') as ts_text, columns(lambda c: lower(c) not in ('time', 'line_no'))
    from rows_
),
cells as (  -- each row as a JSON object, taken apart into (column, cell) in column order; gaps stay
    select p.line_no, p.ts_text, e.key as series, e.value ->> '$' as value_text, e.id as col_no
    from picked as p, json_each(to_json(p)) as e
    where e.key not in ('line_no', 'ts_text')
),
final as (
    select
        line_no as ord,
        grafana_series_name(series) as name,
        grafana_series_labels(series) as labels,
        metric_time(ts_text, $tz) as ts,
        ts_text,
        value_text,
        'gauge' as type,
        left(series || '=' || coalesce(value_text, ''), 200) as raw,
        null as problem
    from cells
)
select * from final
