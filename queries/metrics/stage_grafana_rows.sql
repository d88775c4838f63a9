-- A Grafana panel's CSV export with series as rows (`Series;Time;Value`, Grafana up to 6) into metric_staged:
-- one row per CSV row, ord being its line number (the header is line 1). A series header written as
-- `name{label="value"}` gives its labels. The delimiter is found by DuckDB's sniffer.
-- params: $path, $compression (gzip|zstd|none), $tz (zone of times written without an offset)
insert into metric_staged
with cells as (
    select row_number() over () + 1 as line_no, columns(lambda c: lower(c) = 'series') as series,
           columns(lambda c: lower(c) = 'time') as ts_text, columns(lambda c: lower(c) = 'value') as value_text
    from read_csv($path, header = true, all_varchar = true, compression = $compression)
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
        left(concat_ws(';', series, ts_text, value_text), 200) as raw,
        null as problem
    from cells
)
select * from final
