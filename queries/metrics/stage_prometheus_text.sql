-- The Prometheus text exposition format or OpenMetrics text (a scrape saved with its timestamps) into
-- metric_staged: one row per line that is not blank and not a `#` comment or metadata line, ord being its line
-- number. A line that is not `name{labels} value [timestamp]` keeps no name (rejected as not a sample line).
-- Timestamps are milliseconds in the Prometheus format and seconds in OpenMetrics (a file ending in `# EOF`).
-- The type comes from the family's `# TYPE` line: counter samples (and a histogram's or summary's _bucket,
-- _count and _sum) are counters, the rest gauges; without a TYPE line a name ending in _total is a counter.
-- params: $path, $compression (gzip|zstd|none), $line_delimiter (a byte sequence no text line holds)
insert into metric_staged
with lines as (
    select row_number() over () as line_no, line
    from read_csv(
        $path,
        columns = {'line': 'VARCHAR'},
        delim = $line_delimiter,
        quote = '',
        escape = '',
        header = false,
        auto_detect = false,
        compression = $compression,
        max_line_size = 8388608
    )
),
openmetrics as (
    select coalesce(bool_or(trim(line) = '# EOF'), false) as yes from lines
),
types as (
    select
        regexp_extract(line, '^#\s*TYPE\s+(\S+)\s+(\S+)', 1) as family,
        any_value(lower(regexp_extract(line, '^#\s*TYPE\s+(\S+)\s+(\S+)', 2))) as kind
    from lines
    where regexp_matches(line, '^#\s*TYPE\s')
    group by all
),
samples as (
    select
        line_no,
        line,
        regexp_extract(
            line,
            '^\s*([a-zA-Z_:][a-zA-Z0-9_:.]*)\s*(?:\{(.*)\})?\s+(\S+)(?:\s+(\S+))?\s*$',
            ['name', 'labels', 'value', 'ts']
        ) as parts
    from lines
    where line is not null and trim(line) <> '' and not starts_with(ltrim(line), '#')
),
named as (
    select
        line_no,
        line,
        nullif(parts.name, '') as name,
        prom_label_names(parts.labels) as label_names,
        prom_label_values(parts.labels) as label_values,
        nullif(parts.value, '') as value_text,
        nullif(parts.ts, '') as ts_text,
        regexp_replace(parts.name, '_(total|bucket|sum|count|created|gsum|gcount)$', '') as base
    from samples
),
final as (
    select
        s.line_no as ord,
        s.name,
        case when len(list_distinct(s.label_names)) = len(s.label_names) then map(s.label_names, s.label_values) end
            as labels,
        to_timestamp(try_cast(s.ts_text as double) / case when om.yes then 1 else 1000 end) as ts,
        s.ts_text,
        s.value_text,
        case
            when coalesce(own.kind, fam.kind) = 'counter' and not ends_with(s.name, '_created') then 'counter'
            when coalesce(own.kind, fam.kind) in ('histogram', 'summary') and s.name <> coalesce(own.family, fam.family)
                and regexp_matches(s.name, '_(bucket|count|sum)$') then 'counter'
            when coalesce(own.kind, fam.kind) is null and ends_with(s.name, '_total') then 'counter'
            else 'gauge'
        end as type,
        left(s.line, 200) as raw,
        case when len(list_distinct(s.label_names)) <> len(s.label_names) then 'a label is given twice' end as problem
    from named as s
    cross join openmetrics as om
    left join types as own on own.family = s.name
    left join types as fam on fam.family = s.base and own.family is null
)
select * from final
