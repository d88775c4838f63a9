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
samples as (  -- cut with plain string functions (a regular expression per line cost 3x the read)
    select
        line_no,
        line,
        strpos(line, '{') as open_at,
        length(line) + 1 - strpos(reverse(line), '}') as close_at
    from lines
    where left(ltrim(line), 1) not in ('', '#')
),
tail as (  -- the name, the label text, and what follows them: the value, then the timestamp if any
    select
        line_no, open_at,
        trim(case when open_at > 0 then left(line, open_at - 1) else split_part(ltrim(line), ' ', 1) end) as name,
        case when open_at > 0 and close_at > open_at then substring(line, open_at + 1, close_at - open_at - 1) end
            as body,
        trim(case
            when open_at > 0 and close_at > open_at then substring(line, close_at + 1)
            when open_at > 0 then ''
            else substring(ltrim(line), strpos(ltrim(line) || ' ', ' ') + 1)
        end, ' ' || chr(9)) as rest
    from samples
),
cut as materialized (  -- no line text from here on: a rejected line's is read again (reject_lines.sql)
    select
        line_no,
        open_at,
        name,
        body,
        split_part(replace(rest, chr(9), ' '), ' ', 1) as value_text,
        nullif(trim(substring(replace(rest, chr(9), ' '), strpos(replace(rest, chr(9), ' ') || ' ', ' ') + 1)), '')
            as ts_text
    from tail
),
bodies as (  -- a series' labels repeat on every line of it: parsed once per distinct label text
    select
        body,
        case when len(list_distinct(names)) = len(names) then label_json(map(names, prom_label_values(body))) end
            as labels,
        case when len(list_distinct(names)) <> len(names) then 'a label is given twice' end as problem
    from (select body, prom_label_names(body) as names from (select distinct body from cut where body is not null))
),
names as (  -- what a name is (valid, counter or gauge), judged once per distinct name
    select
        n.name,
        regexp_full_match(n.name, '[a-zA-Z_:][a-zA-Z0-9_:.]*') as valid,
        case
            when coalesce(own.kind, fam.kind) = 'counter' and not ends_with(n.name, '_created') then 'counter'
            when coalesce(own.kind, fam.kind) in ('histogram', 'summary') and own.family is null
                and regexp_matches(n.name, '_(bucket|count|sum)$') then 'counter'
            when coalesce(own.kind, fam.kind) is null and ends_with(n.name, '_total') then 'counter'
            else 'gauge'
        end as type
    from (
        select name, regexp_replace(name, '_(total|bucket|sum|count|created|gsum|gcount)$', '') as base
        from (select distinct name from cut)
    ) as n
    left join types as own on own.family = n.name
    left join types as fam on fam.family = n.base and own.family is null
),
final as (
    select
        c.line_no as ord,
        case when n.valid and (c.body is not null or c.open_at = 0) then c.name end as name,
        case when c.body is null then cast('{}' as json) else b.labels end as labels,
        to_timestamp(try_cast(c.ts_text as double) / case when om.yes then 1 else 1000 end) as ts,
        c.ts_text,
        c.value_text,
        n.type,
        null as raw,
        b.problem
    from cut as c
    cross join openmetrics as om
    left join names as n on n.name = c.name
    left join bodies as b on b.body = c.body
)
select * from final
