-- A Prometheus HTTP API response (`/api/v1/query_range` matrix or `/api/v1/query` vector) into metric_staged:
-- one row per [unix_time, "value"] pair. The series name is the `__name__` label; values are strings in the API
-- (so "NaN" and "+Inf" can be said), read by checked.sql. Points are numbered in document order.
-- params: $path, $compression (gzip|zstd|none), $max_bytes (the largest document to read), $default_name (a
-- result without `__name__`, such as rate(...), is named after the file)
insert into metric_staged
with doc as (
    select json as j
    from read_json_objects($path, format = 'auto', compression = $compression, maximum_object_size = $max_bytes)
),
series as (
    select j ->> '$.data.resultType' as result_type, unnest(cast(j -> '$.data.result' as json[])) as s
    from doc
),
points as (
    select
        s -> '$.metric' as metric,
        unnest(case when result_type = 'vector' then [s -> '$.value'] else cast(s -> '$.values' as json[]) end) as p
    from series
),
final as (
    select
        coalesce(metric ->> '__name__', $default_name) as name,
        cast(metric as map(varchar, varchar)) as labels,
        to_timestamp(try_cast(p ->> 0 as double)) as ts,
        p ->> 0 as ts_text,
        p ->> 1 as value_text,
        case when regexp_matches(metric ->> '__name__', '_(total|count|sum|bucket)$') then 'counter' else 'gauge' end
            as type,
        left(cast(p as varchar), 200) as raw
    from points
)
select row_number() over () as ord, *, null as problem from final
